/**
 * Wires the broker's parts into one {@link BrokerService}: account admin, the token service with
 * its approval gate and audit trail, sign-in orchestration and the proactive-refresh scheduler.
 * Takes its grant functions as a parameter (index.ts passes the real ones).
 */
import type { ConfigStore } from '../accounts/config-store.js';
import { BrokerError, toBrokerError, type ErrorCode } from '../errors.js';
import { silentLogger, systemClock, type BrowserOpener, type Clock, type Logger } from '../ports.js';
import type { SecretVault } from '../vault/types.js';
import { createAccountAdmin } from './accounts.js';
import { createApprovalGate } from './approvals.js';
import { createAuditLog } from './audit.js';
import { createBrokerContext } from './context.js';
import { createEventEmitter } from './events.js';
import type { GrantPort, HttpClient } from './grant-port.js';
import { createScheduler, type SetTimer } from './scheduler.js';
import { createSignInCoordinator } from './sign-in.js';
import { createTokenService } from './token-service.js';
import type { CallerInfo } from '../../shared/caller.js';
import type { ApprovalPort, AuditEntry, BrokerEvent, BrokerService, IdTokenHandout, TokenHandout, TokenRequest } from './types.js';

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

/** Errors that say the request itself was wrong: audited as `refused` (someone probing names counts too). */
const REFUSALS: ReadonlySet<ErrorCode> = new Set(['ACCOUNT_NOT_FOUND', 'INVALID_REQUEST']);
/** How background refreshes appear in the audit log. */
export const BACKGROUND_REFRESH_CLIENT = 'token-broker (proactive refresh)';
/** How long close() waits for refreshes in flight to persist their results. */
const CLOSE_DRAIN_MS = 5_000;

function outcomeOf(code: ErrorCode): AuditEntry['outcome'] {
  if (REFUSALS.has(code)) return 'refused';
  if (code === 'DENIED') return 'denied';
  if (code === 'NEEDS_LOGIN') return 'needs_login';
  return 'error';
}

/** An account name from a request, as the audit keeps it: printable and bounded (it may be anything). */
function auditableName(name: string): string {
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  const printable = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > 128 ? printable.slice(0, 128) : printable;
}

function checkRequest(request: TokenRequest): void {
  if (request.minTtl !== undefined && !(Number.isFinite(request.minTtl) && request.minTtl >= 0)) {
    throw new BrokerError('INVALID_REQUEST', 'min_ttl must be a number of seconds ≥ 0.');
  }
  if (request.scope !== undefined && (request.scope.length > 4096 || request.scope.trim() === '')) {
    throw new BrokerError('INVALID_REQUEST', 'scope must be a non-empty, space-separated list of scopes.');
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
  // Every refresh failure is audited: on-demand ones by handOut below, background ones here.
  const tokens = createTokenService(ctx, {
    onBackgroundFailure: (account, error) => record(account, BACKGROUND_REFRESH_CLIENT, undefined, outcomeOf(error.code), error.code),
  });
  const signIns = createSignInCoordinator(ctx, tokens, deps.openBrowser);
  const admin = createAccountAdmin(ctx, tokens, signIns);
  const approvals = createApprovalGate(deps.approvals, clock);
  const audit = createAuditLog({ ...(deps.auditFile === undefined ? {} : { file: deps.auditFile }), logger });

  const scheduler = createScheduler({
    clock,
    logger,
    entries: function* () {
      for (const account of ctx.accounts()) {
        yield { key: account.name, dueAt: ctx.state(account.name).refreshDueAt };
      }
    },
    run: (name) => tokens.refreshInBackground(name),
    ...(deps.schedule?.setTimer === undefined ? {} : { setTimer: deps.schedule.setTimer }),
    ...(deps.schedule?.maxSleepMs === undefined ? {} : { maxSleepMs: deps.schedule.maxSleepMs }),
  });
  ctx.setScheduleListener(() => scheduler.poke());
  // Whether an account is in use outlives a restart: its last hand-out is in the audit log.
  for (const entry of audit.query()) {
    if (entry.outcome !== 'granted') continue;
    const state = ctx.findAccount(entry.account) === undefined ? undefined : ctx.state(entry.account);
    if (state !== undefined && (state.lastHandOutAt === undefined || state.lastHandOutAt < entry.at)) state.lastHandOutAt = entry.at;
  }
  for (const account of ctx.accounts()) tokens.prime(account);
  if (deps.schedule?.enabled !== false) scheduler.start();

  let closed = false;

  function record(
    account: string,
    client: string,
    caller: CallerInfo | undefined,
    outcome: AuditEntry['outcome'],
    code?: string,
    kind?: AuditEntry['kind'],
    at = clock.now(),
  ): void {
    // One literal per shape (no property added afterwards): a hand-out allocates one small object.
    const entry: AuditEntry =
      code === undefined
        ? caller === undefined
          ? { at, account, client, outcome }
          : { at, account, client, caller, outcome }
        : caller === undefined
          ? { at, account, client, outcome, code }
          : { at, account, client, caller, outcome, code };
    // Only ID-token hand-outs carry a kind (the access-token path keeps its single literal).
    if (kind !== undefined) entry.kind = kind;
    audit.record(entry);
    if (events.hasListeners()) events.emit({ type: 'token_handed_out', entry });
  }

  async function handOut(name: string, request: TokenRequest, force: boolean): Promise<TokenHandout>;
  async function handOut(name: string, request: TokenRequest, force: boolean, kind: 'id_token'): Promise<IdTokenHandout>;
  async function handOut(name: string, request: TokenRequest, force: boolean, kind?: 'id_token'): Promise<TokenHandout | IdTokenHandout> {
    if (closed) throw new BrokerError('INTERNAL', 'The broker is shutting down.');
    const client = request.client ?? 'unknown';
    const caller = request.caller;
    // The audit ring keeps the configured name (one long-lived string), not the request's copy;
    // an unknown name is kept bounded and printable.
    let audited = name;
    try {
      checkRequest(request);
      const account = ctx.requireAccount(name);
      audited = account.name;
      if (account.approval === 'ask' && request.skipApproval !== true) await approvals.check(name, client, caller);
      const handout =
        kind === undefined ? await tokens.getHandout(account, request, force) : await tokens.getIdTokenHandout(account, request);
      const at = clock.now();
      tokens.markUsed(account, at);
      record(audited, client, caller, 'granted', undefined, kind, at);
      return handout;
    } catch (error) {
      const brokerError = toBrokerError(error);
      record(audited === name ? auditableName(name) : audited, client, caller, outcomeOf(brokerError.code), brokerError.code, kind);
      throw brokerError;
    }
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
    recordRefusal: (name, request, error) =>
      record(auditableName(name), request.client ?? 'unknown', request.caller, 'refused', error.code),
    signIn: (name, options) => signIns.signIn(name, options),
    cancelSignIn: (name) => signIns.cancel(name),
    logout: (name) => admin.logout(name),
    tokenDetails: (name) => admin.details(name),
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
