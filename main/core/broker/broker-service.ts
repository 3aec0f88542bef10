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
import type { CallerInfo } from '../../shared/caller.js';
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

/** Errors that say the request itself was wrong: audited as `refused` (someone probing names counts too). */
const REFUSALS: ReadonlySet<ErrorCode> = new Set(['ACCOUNT_NOT_FOUND', 'INVALID_REQUEST']);
/** How background refreshes appear in the audit log. */
export const BACKGROUND_REFRESH_CLIENT = 'token-broker (proactive refresh)';
const EXCHANGE: AuditDetails = { kind: 'exchange' };
const ID_TOKEN: AuditDetails = { kind: 'id_token' };
/** The main token set, with the default freshness: one shared object, no allocation per request. */
const NO_QUERY: TokenRequest = {};
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

function checkRequest(request: Pick<TokenRequest, 'minTtl' | 'scope' | 'audience' | 'resource'>): void {
  if (request.minTtl !== undefined && !(Number.isFinite(request.minTtl) && request.minTtl >= 0)) {
    throw new BrokerError('INVALID_REQUEST', 'min_ttl must be a number of seconds ≥ 0.');
  }
  if (request.scope !== undefined && (request.scope.length > 4096 || request.scope.trim() === '')) {
    throw new BrokerError('INVALID_REQUEST', 'scope must be a non-empty, space-separated list of scopes.');
  }
  // Two calls, not a loop over [label, value] pairs: no arrays allocated per hand-out.
  checkExchangeTarget('audience', request.audience);
  checkExchangeTarget('resource', request.resource);
}

function checkExchangeTarget(label: 'audience' | 'resource', value: string | undefined): void {
  if (value !== undefined && (value === '' || value.length > ACCOUNT_LIMITS.exchangeAudience || /\s/.test(value))) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `${label} must be one non-empty value without spaces, at most ${ACCOUNT_LIMITS.exchangeAudience} characters.`,
    );
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
    details?: AuditDetails,
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
    // Only ID tokens, exchanges, proofs and proxied requests carry details (the access-token path keeps its single literal).
    if (details !== undefined) Object.assign(entry, details);
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
      if (kind === undefined && (request.audience !== undefined || request.resource !== undefined)) {
        const exchanged = await exchanges.handout(account, request, force);
        // An exchange uses the account's own token as its subject: the account is in use (issue 15).
        const at = clock.now();
        tokens.markUsed(account, at);
        record(audited, client, caller, 'granted', undefined, EXCHANGE, at);
        return exchanged;
      }
      const handout =
        kind === undefined ? await tokens.getHandout(account, request, force) : await tokens.getIdTokenHandout(account, request);
      const at = clock.now();
      tokens.markUsed(account, at);
      record(audited, client, caller, 'granted', undefined, kind === undefined ? undefined : ID_TOKEN, at);
      return handout;
    } catch (error) {
      const brokerError = toBrokerError(error);
      const details =
        kind !== undefined ? ID_TOKEN : request.audience !== undefined || request.resource !== undefined ? EXCHANGE : undefined;
      record(audited === name ? auditableName(name) : audited, client, caller, outcomeOf(brokerError.code), brokerError.code, details);
      throw brokerError;
    }
  }

  /**
   * {@link BrokerService.cachedToken}: the part of `handOut` a cached hit goes through — same
   * checks, same `granted` audit entry and use mark — with no promise. Anything else (an error to
   * audit, an approval to ask, an exchange, a token to fetch) is left to `handOut`, which then
   * does all of it: nothing is recorded here unless a token is handed out.
   */
  function cachedToken(name: string, request: TokenRequest): TokenHandout | undefined {
    if (closed || request.audience !== undefined || request.resource !== undefined) return undefined;
    const account = ctx.findAccount(name);
    if (account === undefined || (account.approval === 'ask' && request.skipApproval !== true)) return undefined;
    try {
      checkRequest(request);
    } catch {
      return undefined;
    }
    // One reading of the clock for the freshness check, the expiry in the answer and the audit.
    const at = clock.now();
    const handout = tokens.cachedHandout(account, request, at);
    if (handout === undefined) return undefined;
    tokens.markUsed(account, at);
    record(account.name, request.client ?? 'unknown', request.caller, 'granted', undefined, undefined, at);
    return handout;
  }

  async function dpopProof(name: string, request: DpopProofRequest): Promise<DpopProofHandout> {
    if (closed) throw new BrokerError('INTERNAL', 'The broker is shutting down.');
    const client = request.client ?? 'unknown';
    const caller = request.caller;
    let audited = name;
    let details: AuditDetails = { kind: 'dpop_proof' };
    try {
      const htu = normalizeHtu(request.htu);
      details = { kind: 'dpop_proof', method: request.htm.slice(0, 32), host: hostOfHtu(htu) };
      const account = ctx.requireAccount(name);
      audited = account.name;
      if (account.approval === 'ask' && request.skipApproval !== true) await approvals.check(name, client, caller);
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
      tokens.markUsed(account, now);
      const proof = createDpopProof(key, {
        htm: request.htm,
        htu,
        accessToken: handout.accessToken,
        now,
        ...(nonce === undefined ? {} : { nonce }),
      });
      record(audited, client, caller, 'granted', undefined, details, now);
      return { proof, expiresAt: now + DPOP_PROOF_LIFETIME_SECONDS * 1000 };
    } catch (error) {
      const brokerError = toBrokerError(error);
      record(audited === name ? auditableName(name) : audited, client, caller, outcomeOf(brokerError.code), brokerError.code, details);
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
        // Every proxied request is a use of the account (issue 15's "used recently").
        tokens.markUsed(current, clock.now());
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
        record(account.name, client, entry.caller, entry.outcome, entry.code, {
          kind: 'proxy',
          method: entry.method,
          host: entry.host,
          status: entry.status,
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
    cachedToken,
    getIdToken: (name, request = {}) => handOut(name, request, false, 'id_token'),
    refresh: (name, request = {}) => handOut(name, request, true),
    recordRefusal: (name, request, error) =>
      record(auditableName(name), request.client ?? 'unknown', request.caller, 'refused', error.code),
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
