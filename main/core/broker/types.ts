/**
 * The broker service's contract: what the local token API, the CLI's admin endpoints and the
 * Electron IPC handlers call. One implementation (main/core/broker), created with its ports.
 */
import type { AccountIdentity, AccountStatus, RefreshMode } from '../../shared/accounts.js';
import type { ErrorInfo } from '../../shared/errors.js';
import type { Grant } from '../../shared/grants.js';
import type { SignInProgress } from '../../shared/sign-in.js';
import type { AccountConfig, AccountInput } from '../accounts/model.js';
import type { CallerInfo } from '../../shared/caller.js';
import type { IdTokenHandout } from './id-token-policy.js';

export type { AccountStatus, ErrorInfo, SignInProgress };

/** An account with its live token status. Never contains a secret. */
export interface AccountSummary {
  config: AccountConfig;
  name: string;
  grant: Grant;
  status: AccountStatus;
  expiresAt?: number;
  /** Scopes granted (from the token response) or else the configured defaults. */
  scopes: string[];
  hasRefreshToken: boolean;
  /** The current access token is DPoP-bound (RFC 9449): useless to anyone without the account's key. */
  senderConstrained: boolean;
  /** How the token is renewed now: before expiry, on demand, idle (on the next use), or not at all (issue 15). */
  refreshMode: RefreshMode;
  /** Epoch ms of the last hand-out (since start, or in the audit log it loaded). */
  lastUsedAt?: number;
  lastRefreshAt?: number;
  lastError?: ErrorInfo;
  /** Which of the client's secrets the vault holds (never the secrets themselves). */
  secretsHeld?: { clientSecret: boolean; privateKey: boolean };
  /** Who the account was last signed in as (kept across logout); absent when never named. */
  identity?: AccountIdentity;
  /** Epoch ms at which the held ID token expires (its `exp`); absent without one. */
  idTokenExpiresAt?: number;
  /**
   * The account hands out its ID token (configured for Kubernetes ID tokens, or one was handed
   * out since the broker started): its ID token's expiry counts as much as the access token's.
   */
  usesIdToken?: true;
}

/** Secrets supplied with an account; stored only in the vault. */
export interface AccountSecretsInput {
  clientSecret?: string;
  privateKeyPem?: string;
}

export interface TokenRequest {
  // `| undefined`: the socket route passes what it parsed as is, without building a new object per request.
  /** Seconds the token must still be valid for; a fresher token is fetched otherwise. */
  minTtl?: number | undefined;
  /** Space-separated scopes, a subset of what was granted (refresh with narrower scope). */
  scope?: string | undefined;
  /**
   * Token exchange (RFC 8693): a token for this audience and/or resource, made from the account's
   * access token. Only values the account names in `tokenExchange.audiences` are allowed.
   */
  audience?: string | undefined;
  resource?: string | undefined;
  /** Who asks: the `X-Token-Broker-Client` header, "cli", or the app itself. */
  client?: string;
  /** Who really asks, as the socket's peer credentials say (one object per connection); absent in-process. */
  caller?: CallerInfo;
  /**
   * Skip the `approval: ask` question: only for in-process callers acting on a person's direct
   * action (the GUI's "copy token"). Never set it from a socket or network request.
   */
  skipApproval?: boolean;
}

/** What a script receives (README.md, "The socket"). */
export interface TokenHandout {
  accessToken: string;
  tokenType: string;
  expiresAt?: number;
  expiresIn?: number;
  scope?: string;
}

/** An ID token hand-out (README.md, "The socket": `GET …/token?type=id_token`). */
export type { IdTokenHandout } from './id-token-policy.js';

export interface TokenDetails {
  tokenType: string;
  scope?: string;
  obtainedAt: number;
  expiresAt?: number;
  hasRefreshToken: boolean;
  hasIdToken: boolean;
  accessTokenClaims?: Record<string, unknown>;
  idTokenClaims?: Record<string, unknown>;
  lastRefreshAt?: number;
  lastRefreshOutcome?: 'ok' | 'error';
  lastError?: ErrorInfo;
}

/** `POST /v1/accounts/{name}/dpop-proof`: what the proof is for (RFC 9449 §4.2). */
export interface DpopProofRequest {
  /** HTTP method of the request the proof accompanies. */
  htm: string;
  /** Its URL (query and fragment are dropped). */
  htu: string;
  /** A nonce the resource server sent (`DPoP-Nonce`); remembered for its origin. */
  nonce?: string | undefined;
  /** Bind the proof to this token instead of the main one: a narrower scope or an exchanged token (as in {@link TokenRequest}). */
  scope?: string | undefined;
  audience?: string | undefined;
  resource?: string | undefined;
  client?: string;
  /** Who really asks (peer credentials), as in {@link TokenRequest}. */
  caller?: CallerInfo;
  skipApproval?: boolean;
}

/** A proof bound to the account's current access token (`ath`). */
export interface DpopProofHandout {
  proof: string;
  /** Epoch ms until which the proof is fresh enough for resource servers (iat + 60 s). */
  expiresAt: number;
}

/** One upstream request of an authenticating proxy. */
export interface UpstreamAuthorizeRequest {
  method: string;
  url: string;
  /** The Authorization value the upstream refused with invalid_token: hand out another. */
  rejected?: string;
}

/** The headers a proxy adds to an upstream request. */
export interface UpstreamCredentials {
  authorization: string;
  dpop?: string;
}

/** A proxied request as the audit log records it: never a token, a path or a query. */
export interface ProxiedRequestRecord {
  method: string;
  host: string;
  status: number;
  outcome: AuditEntry['outcome'];
  code?: string;
  caller?: AuditCaller;
}

/** What an authenticating proxy gets from the broker for one account. */
export interface AccountUpstream {
  /** Authorization (and a DPoP proof) for one upstream request; refreshes when `rejected` is the current token. */
  authorize(request: UpstreamAuthorizeRequest): Promise<UpstreamCredentials>;
  /** A `DPoP-Nonce` the upstream sent (RFC 9449 §9). */
  rememberNonce(url: string, nonce: string): void;
  /** Records a proxied request in the audit log. */
  record(entry: ProxiedRequestRecord): void;
}

export interface SignInOptions {
  /** Password grant only: used for one request, never stored or logged. */
  username?: string;
  password?: string;
  /** Do not open a browser; the URL is still reported through progress events. */
  noBrowser?: boolean;
  /**
   * Accept a sign-in as another user than the account's (a different subject); without it such a
   * sign-in is refused with `IDENTITY_CHANGED` and the old tokens are kept.
   */
  allowOtherUser?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: SignInProgress) => void;
}

export interface AuditEntry {
  at: number;
  account: string;
  /** The claimed `X-Token-Broker-Client` name. */
  client: string;
  /** Who really asked (peer credentials), when the request came over a listener or a proxy. */
  caller?: CallerInfo;
  /** `refused`: the request itself was wrong (unknown account, invalid request), or the proxy turned the peer away. */
  outcome: 'granted' | 'denied' | 'needs_login' | 'error' | 'refused';
  code?: string;
  /** What was handed out or done (CONTRACTS.md); absent for a plain token hand-out. */
  kind?: AuditKind;
  /** `dpop_proof`: the proof's method; `proxy`: the request's method. */
  method?: string;
  /** `dpop_proof`: the host of the proof's URL; `proxy`: the upstream's host. Never a path or query. */
  host?: string;
  /** `proxy`: the HTTP status the client received. */
  status?: number;
}

export type AuditKind = 'token' | 'id_token' | 'exchange' | 'dpop_proof' | 'proxy';

/** The caller of an audited request (CONTRACTS.md): main/shared/caller.ts. */
export type AuditCaller = CallerInfo;

export interface ApprovalRequest {
  id: string;
  account: string;
  /** The claimed name. */
  client: string;
  /** Who really asks (the verified executable and pid, or unverified). */
  caller?: CallerInfo;
  requestedAt: number;
  expiresAt: number;
}

/**
 * The approval port for `approval: ask` accounts. The GUI implements it; headless there is none
 * and such requests are denied with DENIED.
 */
export interface ApprovalPort {
  requestApproval(request: ApprovalRequest): Promise<'allow' | 'deny'>;
}

export type BrokerEvent =
  | { type: 'accounts_changed' }
  | { type: 'token_refreshed'; account: string; expiresAt?: number }
  | { type: 'needs_login'; account: string }
  | { type: 'refresh_failed'; account: string; error: ErrorInfo }
  | { type: 'sign_in_progress'; progress: SignInProgress }
  | { type: 'token_handed_out'; entry: AuditEntry };

export interface BrokerService {
  listAccounts(): AccountSummary[];
  getAccount(name: string): AccountSummary;
  addAccount(input: AccountInput, secrets?: AccountSecretsInput): Promise<AccountSummary>;
  updateAccount(name: string, input: AccountInput, secrets?: AccountSecretsInput): Promise<AccountSummary>;
  /** Gives the account a new name; its secrets, tokens and identity stay with it. */
  renameAccount(name: string, newName: string): Promise<AccountSummary>;
  /**
   * Asks the provider whether the account would work before it is saved: discovery (or the
   * explicit endpoints answering), the issuer, the grant and the client auth method.
   */
  checkAccount(input: AccountInput): Promise<void>;
  /** Revokes at the provider where possible, forgets tokens, secrets and the account. */
  removeAccount(name: string): Promise<void>;
  getToken(name: string, request?: TokenRequest): Promise<TokenHandout>;
  /**
   * What {@link BrokerService.getToken} answers when it is a cached token that needs no I/O —
   * audited and marked as used exactly the same — returned synchronously; `undefined` when
   * `getToken` has to do the work (fetch or refresh, ask for approval, exchange, or fail). The
   * token API tries it first, so a cached hit is answered without a promise or a microtask turn.
   */
  cachedToken(name: string, request: TokenRequest): TokenHandout | undefined;
  /**
   * The account's ID token (`minTtl` against its own `exp`), refreshed when it is expiring even if
   * the access token is not; audited as `id_token`. `scope` does not apply.
   */
  getIdToken(name: string, request?: TokenRequest): Promise<IdTokenHandout>;
  refresh(name: string, request?: TokenRequest): Promise<TokenHandout>;
  /**
   * Audits a token request refused before it reached the broker (a malformed `min_ttl`, say):
   * refused requests leave a trace like every other.
   */
  recordRefusal(name: string, request: Pick<TokenRequest, 'client' | 'caller'>, error: { code: ErrorInfo['code'] }): void;
  signIn(name: string, options?: SignInOptions): Promise<void>;
  cancelSignIn(name: string): boolean;
  /** Revokes at the provider and forgets the tokens; the account stays (then NEEDS_LOGIN). */
  logout(name: string): Promise<void>;
  tokenDetails(name: string): TokenDetails | undefined;
  /**
   * A DPoP proof for a request the caller makes with the account's access token (RFC 9449 §7),
   * signed with the account's key, which never leaves the broker. `INVALID_REQUEST` for an
   * account whose tokens are not DPoP-bound.
   */
  dpopProof(name: string, request: DpopProofRequest): Promise<DpopProofHandout>;
  /**
   * The account's credentials for an authenticating proxy named `client` (asked once, for
   * `approval: ask` accounts; every proxied request is audited).
   */
  openUpstream(name: string, client: string): Promise<AccountUpstream>;
  auditLog(filter?: { account?: string; client?: string; limit?: number }): AuditEntry[];
  on(listener: (event: BrokerEvent) => void): () => void;
  /** Stops the scheduler, waits for in-flight writes and closes the vault. */
  close(): Promise<void>;
}
