/**
 * Wires the broker's parts into one {@link BrokerService}: account admin, the token service with
 * its approval gate and audit trail, sign-in orchestration and the proactive-refresh scheduler.
 * Takes its grant functions as a parameter (index.ts passes the real ones).
 */
import { ACCOUNT_LIMITS } from '../../shared/accounts.js';
import type { ConfigStore } from '../accounts/config-store.js';
import { BrokerError, toBrokerError, type ErrorCode } from '../errors.js';
import { createDpopProof, DPOP_PROOF_LIFETIME_SECONDS, hostOfHtu, normalizeHtu } from '../oauth/dpop.js';
import { silentLogger, systemClock, type BrowserOpener, type Clock, type Logger } from '../ports.js';
import type { SecretVault } from '../vault/types.js';
import { createAccountAdmin } from './accounts.js';
import { createApprovalGate } from './approvals.js';
import { createAuditLog, type AuditDetails } from './audit.js';
import { createBrokerContext } from './context.js';
import { createEventEmitter } from './events.js';
import type { GrantPort, HttpClient } from './grant-port.js';
import { createScheduler, type SetTimer } from './scheduler.js';
import { createSignInCoordinator } from './sign-in.js';
import { createExchangeService } from './token-exchange.js';
import { createTokenService } from './token-service.js';
import type {
  AccountUpstream,
  ApprovalPort,
  AuditEntry,
  BrokerEvent,
  BrokerService,
  DpopProofHandout,
  DpopProofRequest,
  IdTokenHandout,
  TokenHandout,
  TokenRequest,
} from './types.js';

/** The ports and settings a broker is built from. */
export interface BrokerDeps {
  configStore: ConfigStore;
  vault: SecretVault;
  http: HttpClient;
  clock?: Clock;
  logger?: Logger;
  /** Opens authorization/verification URLs; without one, URLs are only reported as progress. */
  openBrowser?: BrowserOpener;
  /** Answers `approval: ask` requests (the GUI); without one such requests are DENIED. */
  approvals?: ApprovalPort;
  /** Path of the 0600, size-bounded audit log (JSON lines); without one the audit is memory-only. */
  auditFile?: string;
  /** Replaces some grant functions (tests wrap the real ones to count or hold calls). */
  grants?: Partial<GrantPort>;
  /** Proactive refresh; on unless `enabled: false`. `setTimer` lets tests drive time. */
  schedule?: { enabled: boolean; setTimer?: SetTimer; maxSleepMs?: number };
  /** Uniform [0, 1) for refresh jitter; tests pass a constant. */
  random?: () => number;
}

const NOT_AUDITED: ReadonlySet<ErrorCode> = new Set(['ACCOUNT_NOT_FOUND', 'INVALID_REQUEST']);
const EXCHANGE: AuditDetails = { kind: 'exchange' };
const ID_TOKEN: AuditDetails = { kind: 'id_token' };
/** The main token set, with the default freshness: one shared object, no allocation per request. */
const NO_QUERY: TokenRequest = {};
/** How long close() waits for refreshes in flight to persist their results. */
const CLOSE_DRAIN_MS = 5_000;

function outcomeOf(code: ErrorCode): AuditEntry['outcome'] {
  if (code === 'DENIED') return 'denied';
  if (code === 'NEEDS_LOGIN') return 'needs_login';
  return 'error';
}

function checkRequest(request: Pick<TokenRequest, 'minTtl' | 'scope' | 'audience' | 'resource'>): void {
  if (request.minTtl !== undefined && !(Number.isFinite(request.minTtl) && request.minTtl >= 0)) {
    throw new BrokerError('INVALID_REQUEST', 'min_ttl must be a number of seconds ≥ 0.');
  }
  if (request.scope !== undefined && (request.scope.length > 4096 || request.scope.trim() === '')) {
    throw new BrokerError('INVALID_REQUEST', 'scope must be a non-empty, space-separated list of scopes.');
  }
  for (const [label, value] of [
    ['audience', request.audience],
    ['resource', request.resource],
  ] as const) {
    if (value !== undefined && (value === '' || value.length > ACCOUNT_LIMITS.exchangeAudience || /\s/.test(value))) {
      throw new BrokerError(
        'INVALID_REQUEST',
        `${label} must be one non-empty value without spaces, at most ${ACCOUNT_LIMITS.exchangeAudience} characters.`,
      );
    }
  }
}

export function createBrokerService(deps: BrokerDeps & { grants: GrantPort }): BrokerService {
  const logger = deps.logger ?? silentLogger;
  const clock = deps.clock ?? systemClock;
  const events = createEventEmitter<BrokerEvent>(logger, 'broker');
  const ctx = createBrokerContext({
    configStore: deps.configStore,
    vault: deps.vault,
    http: deps.http,
    clock,
    logger,
    grants: deps.grants,
    events,
    random: deps.random ?? Math.random,
  });
  const tokens = createTokenService(ctx);
  const exchanges = createExchangeService(ctx, tokens);
  const signIns = createSignInCoordinator(ctx, tokens, deps.openBrowser);
  const admin = createAccountAdmin(ctx, tokens, signIns);
  const approvals = createApprovalGate(deps.approvals, clock);
  const audit = createAuditLog({ ...(deps.auditFile === undefined ? {} : { file: deps.auditFile }), logger });

  const scheduler = createScheduler({
    clock,
    logger,
    entries: function* () {
      for (const account of ctx.accounts()) {
        const state = ctx.state(account.name);
        yield { key: account.name, dueAt: state.refreshDueAt };
        if (state.exchanged.size > 0) yield* exchanges.scheduled(account.name, state);
      }
    },
    run: (key) => (exchanges.owns(key) ? exchanges.refreshInBackground(key) : tokens.refreshInBackground(key)),
    ...(deps.schedule?.setTimer === undefined ? {} : { setTimer: deps.schedule.setTimer }),
    ...(deps.schedule?.maxSleepMs === undefined ? {} : { maxSleepMs: deps.schedule.maxSleepMs }),
  });
  ctx.setScheduleListener(() => scheduler.poke());
  for (const account of ctx.accounts()) tokens.prime(account);
  if (deps.schedule?.enabled !== false) scheduler.start();

  let closed = false;

  function record(account: string, client: string, outcome: AuditEntry['outcome'], code?: string, details?: AuditDetails): void {
    const entry: AuditEntry =
      code === undefined ? { at: clock.now(), account, client, outcome } : { at: clock.now(), account, client, outcome, code };
    if (details !== undefined) Object.assign(entry, details);
    audit.record(entry);
    if (events.hasListeners()) events.emit({ type: 'token_handed_out', entry });
  }

  async function handOut(name: string, request: TokenRequest, force: boolean): Promise<TokenHandout>;
  async function handOut(name: string, request: TokenRequest, force: boolean, kind: 'id_token'): Promise<IdTokenHandout>;
  async function handOut(name: string, request: TokenRequest, force: boolean, kind?: 'id_token'): Promise<TokenHandout | IdTokenHandout> {
    if (closed) throw new BrokerError('INTERNAL', 'The broker is shutting down.');
    const client = request.client ?? 'unknown';
    // The audit ring keeps the configured name (one long-lived string), not the request's copy.
    let audited = name;
    try {
      checkRequest(request);
      const account = ctx.requireAccount(name);
      audited = account.name;
      if (account.approval === 'ask' && request.skipApproval !== true) await approvals.check(name, client);
      if (kind === undefined && (request.audience !== undefined || request.resource !== undefined)) {
        const exchanged = await exchanges.handout(account, request, force);
        record(audited, client, 'granted', undefined, EXCHANGE);
        return exchanged;
      }
      const handout =
        kind === undefined ? await tokens.getHandout(account, request, force) : await tokens.getIdTokenHandout(account, request);
      record(audited, client, 'granted', undefined, kind === undefined ? undefined : ID_TOKEN);
      return handout;
    } catch (error) {
      const brokerError = toBrokerError(error);
      const details =
        kind !== undefined ? ID_TOKEN : request.audience !== undefined || request.resource !== undefined ? EXCHANGE : undefined;
      if (!NOT_AUDITED.has(brokerError.code)) record(audited, client, outcomeOf(brokerError.code), brokerError.code, details);
      throw brokerError;
    }
  }

  async function dpopProof(name: string, request: DpopProofRequest): Promise<DpopProofHandout> {
    if (closed) throw new BrokerError('INTERNAL', 'The broker is shutting down.');
    const client = request.client ?? 'unknown';
    let audited = name;
    let details: AuditDetails = { kind: 'dpop_proof' };
    try {
      const htu = normalizeHtu(request.htu);
      details = { kind: 'dpop_proof', method: request.htm.slice(0, 32), host: hostOfHtu(htu) };
      const account = ctx.requireAccount(name);
      audited = account.name;
      if (account.approval === 'ask' && request.skipApproval !== true) await approvals.check(name, client);
      const exchange = request.audience !== undefined || request.resource !== undefined;
      if (exchange || request.scope !== undefined) checkRequest(request);
      const handout = exchange
        ? await exchanges.handout(account, request, false)
        : await tokens.getHandout(account, request.scope === undefined ? NO_QUERY : { scope: request.scope });
      const key = handout.tokenType.toLowerCase() === 'dpop' ? ctx.dpop.keyOf(account.name) : undefined;
      if (key === undefined) {
        throw new BrokerError(
          'INVALID_REQUEST',
          `The tokens of '${account.name}' are ${handout.tokenType} tokens, not DPoP-bound: use them without a proof (dpop is ${account.dpop}; DPoP needs a provider that supports it).`,
          { account: account.name },
        );
      }
      const nonces = ctx.dpop.nonces(account.name);
      if (request.nonce !== undefined) nonces.remember(htu, request.nonce);
      const nonce = request.nonce ?? nonces.get(htu);
      const now = clock.now();
      const proof = createDpopProof(key, {
        htm: request.htm,
        htu,
        accessToken: handout.accessToken,
        now,
        ...(nonce === undefined ? {} : { nonce }),
      });
      record(audited, client, 'granted', undefined, details);
      return { proof, expiresAt: now + DPOP_PROOF_LIFETIME_SECONDS * 1000 };
    } catch (error) {
      const brokerError = toBrokerError(error);
      if (!NOT_AUDITED.has(brokerError.code)) record(audited, client, outcomeOf(brokerError.code), brokerError.code, details);
      throw brokerError;
    }
  }

  async function openUpstream(name: string, client: string): Promise<AccountUpstream> {
    const account = ctx.requireAccount(name);
    // One question when the proxy starts, not one per proxied request.
    if (account.approval === 'ask') await approvals.check(name, client);
    const header = (handout: TokenHandout): string =>
      `${handout.tokenType.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer'} ${handout.accessToken}`;
    return {
      async authorize({ method, url, rejected }) {
        if (closed) throw new BrokerError('INTERNAL', 'The broker is shutting down.');
        const current = ctx.requireAccount(name);
        let handout = await tokens.getHandout(current, NO_QUERY);
        let authorization = header(handout);
        // Refused by the upstream: refresh — unless another request already did.
        if (rejected !== undefined && rejected === authorization) {
          handout = await tokens.getHandout(current, NO_QUERY, true);
          authorization = header(handout);
        }
        if (handout.tokenType.toLowerCase() !== 'dpop') return { authorization };
        const key = ctx.dpop.keyOf(current.name);
        if (key === undefined)
          throw new BrokerError('INTERNAL', `The DPoP key of '${current.name}' is missing; sign in again.`, { account: name });
        const nonce = ctx.dpop.nonces(current.name).get(url);
        return {
          authorization,
          dpop: createDpopProof(key, {
            htm: method,
            htu: url,
            accessToken: handout.accessToken,
            now: clock.now(),
            ...(nonce === undefined ? {} : { nonce }),
          }),
        };
      },
      rememberNonce(url, nonce) {
        ctx.dpop.nonces(name).remember(url, nonce);
      },
      record(entry) {
        record(account.name, client, entry.outcome, entry.code, {
          kind: 'proxy',
          method: entry.method,
          host: entry.host,
          status: entry.status,
          ...(entry.caller === undefined ? {} : { caller: entry.caller }),
        });
      },
    };
  }

  return {
    listAccounts: () => ctx.accounts().map((account) => admin.summarize(account)),
    getAccount: (name) => admin.summarize(ctx.requireAccount(name)),
    addAccount: (input, secrets) => admin.add(input, secrets),
    updateAccount: (name, input, secrets) => admin.update(name, input, secrets),
    renameAccount: (name, newName) => admin.rename(name, newName),
    checkAccount: (input) => admin.check(input),
    removeAccount: (name) => admin.remove(name),
    getToken: (name, request = {}) => handOut(name, request, false),
    getIdToken: (name, request = {}) => handOut(name, request, false, 'id_token'),
    refresh: (name, request = {}) => handOut(name, request, true),
    signIn: (name, options) => signIns.signIn(name, options),
    cancelSignIn: (name) => signIns.cancel(name),
    logout: (name) => admin.logout(name),
    tokenDetails: (name) => admin.details(name),
    dpopProof,
    openUpstream,
    auditLog: (filter) => audit.query(filter),
    on: (listener) => events.on(listener),
    async close() {
      if (closed) return;
      closed = true;
      scheduler.stop();
      signIns.cancelAll();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        tokens.drain(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_DRAIN_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      await audit.close();
      events.clear();
      await deps.vault.close();
    },
  };
}
