/**
 * An unbounded in-memory storage adapter for the fixture authorization server, one store per
 * server. oidc-provider's built-in memory adapter is an LRU capped at ~1000 entries, so a
 * benchmark or a long suite could see live refresh tokens or grants silently evicted and get
 * `invalid_grant` for reasons that have nothing to do with the code under test.
 *
 * Implements the adapter contract of oidc-provider 9 (find, findByUid, findByUserCode, upsert,
 * consume, destroy, revokeByGrantId), with expiry checked on read.
 */

type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string };

interface Entry {
  payload: Payload;
  /** Epoch ms; undefined when the model has no expiry. */
  expiresAt?: number;
}

/** Models whose entries belong to a grant and go away when it is revoked. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

export interface StorageAdapter {
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** Returns the adapter factory oidc-provider's `adapter` option takes (called once per model). */
export function createMemoryAdapterFactory(clockToleranceSeconds = 0): (model: string) => StorageAdapter {
  const entries = new Map<string, Entry>();
  const grantMembers = new Map<string, Set<string>>();
  const sessionByUid = new Map<string, string>();
  const codeByUserCode = new Map<string, string>();

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      remove(key);
      return undefined;
    }
    return entry;
  }

  function remove(key: string): void {
    const entry = entries.get(key);
    entries.delete(key);
    if (!entry) return;
    const { grantId, uid, userCode } = entry.payload;
    if (grantId) grantMembers.get(grantId)?.delete(key);
    if (uid && sessionByUid.get(uid) === key) sessionByUid.delete(uid);
    if (userCode && codeByUserCode.get(userCode) === key) codeByUserCode.delete(userCode);
  }

  return (model: string): StorageAdapter => {
    const keyFor = (id: string) => `${model}:${id}`;
    return {
      async find(id) {
        return live(keyFor(id))?.payload;
      },
      async findByUid(uid) {
        const key = sessionByUid.get(uid);
        return key ? live(key)?.payload : undefined;
      },
      async findByUserCode(userCode) {
        const key = codeByUserCode.get(userCode);
        return key ? live(key)?.payload : undefined;
      },
      async upsert(id, payload, expiresIn) {
        const key = keyFor(id);
        remove(key);
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + (expiresIn + clockToleranceSeconds) * 1000 : undefined;
        entries.set(key, { payload, ...(expiresAt === undefined ? {} : { expiresAt }) });
        if (model === 'Session' && payload.uid) sessionByUid.set(payload.uid, key);
        if (payload.userCode) codeByUserCode.set(payload.userCode, key);
        if (GRANTABLE.has(model) && payload.grantId) {
          const members = grantMembers.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          grantMembers.set(payload.grantId, members);
        }
      },
      async consume(id) {
        const entry = live(keyFor(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        remove(keyFor(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of [...(grantMembers.get(grantId) ?? [])]) remove(key);
        grantMembers.delete(grantId);
      },
    };
  };
}
