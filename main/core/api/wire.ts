/**
 * Wire shapes of the local token API (README.md, "The socket"; docs/architecture.md): snake_case JSON,
 * times in epoch seconds. Pure functions; the only place a hand-out becomes a response body.
 * Only access and ID tokens ever leave: the types here have no field a refresh token could reach.
 */
import type { ErrorCode, ErrorInfo } from '../../shared/errors.js';
import type { SignInProgress } from '../../shared/sign-in.js';
import type { AccountSummary, AuditEntry, IdTokenHandout, TokenDetails, TokenHandout } from '../broker/types.js';

/** `GET /v1/health`: the broker answers, and whether its TCP listener runs (null while it is off). */
export interface HealthBody {
  status: 'ok';
  version: string;
  tcp_listener: { running: true; port: number } | { running: false; port: number; error: ErrorBody['error'] } | null;
}

export function toHealthBody(
  version: string,
  tcp: { state: 'off' } | { state: 'running'; port: number } | { state: 'failed'; port: number; error: ErrorInfo },
): HealthBody {
  return {
    status: 'ok',
    version,
    tcp_listener:
      tcp.state === 'off'
        ? null
        : tcp.state === 'running'
          ? { running: true, port: tcp.port }
          : { running: false, port: tcp.port, error: toErrorBody(tcp.error).error },
  };
}

/** `GET /v1/accounts/{name}/token` and `POST …/refresh` body. */
export interface TokenBody {
  access_token: string;
  token_type: string;
  /** Epoch seconds; null when the provider did not say. */
  expires_at: number | null;
  /** Seconds left at the time of the answer; null when unknown. */
  expires_in: number | null;
  scope: string | null;
}

/** `GET /v1/accounts/{name}/token?type=id_token` body: the ID token and its own expiry (`exp`). */
export interface IdTokenBody {
  id_token: string;
  /** Epoch seconds (the ID token's `exp`). */
  expires_at: number;
  expires_in: number;
}

/** `GET /v1/accounts/{name}/kubernetes-credential` body: what kubectl's exec plugin answers with. */
export interface KubernetesCredentialBody {
  token: string;
  token_type: 'id_token' | 'access_token';
  expires_at: number | null;
  expires_in: number | null;
}

/** `GET /v1/registry/credential?host=` body (and `/v1/git/credential`'s): the token body plus whose it is. */
export type RegistryCredentialBody = TokenBody & { account: string; username: string };

/** `GET /v1/registry/hosts` body: registry host → username. */
export type RegistryHostsBody = Record<string, string>;

/** One element of `GET /v1/accounts`. */
export interface AccountBody {
  name: string;
  grant: string;
  status: AccountSummary['status'];
  expires_at: number | null;
  scopes: string[];
  /** Who the account was last signed in as; null when no sign-in named a user. */
  identity: IdentityBody | null;
  /**
   * How the token is renewed now (issue 15): `proactive` (before expiry), `on_demand`, `idle`
   * (not used for `refresh.idleAfterHours`: refreshed on its next use) or `none`.
   */
  refresh: AccountSummary['refreshMode'];
  /** Epoch seconds of the last hand-out; null when none is known. */
  last_used_at: number | null;
}

/** The broker's AccountIdentity in the API's spelling (`sub` as in OpenID Connect). */
export interface IdentityBody {
  sub: string;
  username: string | null;
  email: string | null;
}

/** Every error answer: the broker's {@link ErrorInfo} in the API's spelling. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; oauth_error?: string; oauth_error_description?: string };
}

/** Built from `BrokerError.toJSON()`, the one secret-free form of an error. */
export function toErrorBody(info: ErrorInfo): ErrorBody {
  return {
    error: {
      code: info.code,
      message: info.message,
      ...(info.oauthError === undefined ? {} : { oauth_error: info.oauthError }),
      ...(info.oauthErrorDescription === undefined ? {} : { oauth_error_description: info.oauthErrorDescription }),
    },
  };
}

export function toTokenBody(handout: TokenHandout, nowMs: number): TokenBody {
  const expiresAt = handout.expiresAt;
  return {
    access_token: handout.accessToken,
    token_type: handout.tokenType,
    expires_at: expiresAt === undefined ? null : Math.floor(expiresAt / 1000),
    // The broker already computed it; the fallback serves hand-outs that come without it.
    expires_in: expiresAt === undefined ? null : (handout.expiresIn ?? Math.max(0, Math.floor((expiresAt - nowMs) / 1000))),
    scope: handout.scope ?? null,
  };
}

export function toIdTokenBody(handout: IdTokenHandout): IdTokenBody {
  return {
    id_token: handout.idToken,
    expires_at: Math.floor(handout.expiresAt / 1000),
    expires_in: handout.expiresIn,
  };
}

export function toKubernetesCredentialBody(tokenType: 'id_token', body: IdTokenBody): KubernetesCredentialBody;
export function toKubernetesCredentialBody(tokenType: 'access_token', body: TokenBody): KubernetesCredentialBody;
export function toKubernetesCredentialBody(
  tokenType: 'id_token' | 'access_token',
  body: IdTokenBody | TokenBody,
): KubernetesCredentialBody {
  return {
    token: 'id_token' in body ? body.id_token : body.access_token,
    token_type: tokenType,
    expires_at: body.expires_at,
    expires_in: body.expires_in,
  };
}

export function toAccountBody(summary: AccountSummary): AccountBody {
  return {
    name: summary.name,
    grant: summary.grant,
    status: summary.status,
    expires_at: summary.expiresAt === undefined ? null : Math.floor(summary.expiresAt / 1000),
    scopes: [...summary.scopes],
    identity:
      summary.identity === undefined
        ? null
        : { sub: summary.identity.subject, username: summary.identity.username ?? null, email: summary.identity.email ?? null },
    refresh: summary.refreshMode,
    last_used_at: summary.lastUsedAt === undefined ? null : Math.floor(summary.lastUsedAt / 1000),
  };
}

/**
 * `GET /v1/accounts/{name}`: what `token-broker status` and `account show` print. The
 * account's non-secret configuration as in config.json, its token state, and only whether
 * each secret is held — never a secret or a token.
 */
export interface AccountDetailBody extends AccountBody {
  configured_scopes: string[];
  /** An access token is held (client credentials fetch their first one on the first request). */
  access_token: boolean;
  refresh_token: boolean;
  id_token_expires_at: number | null;
  last_refresh: { at: number; outcome: 'ok' | 'error'; code?: string; message?: string } | null;
  approval: string;
  git_hosts: string[];
  registries: string[];
  config: AccountSummary['config'];
  secrets: { client_secret: boolean; private_key: boolean };
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function toAccountDetailBody(summary: AccountSummary, details: TokenDetails | undefined): AccountDetailBody {
  const lastAt = summary.lastRefreshAt ?? details?.lastRefreshAt;
  const outcome = details?.lastRefreshOutcome ?? (summary.lastError === undefined ? 'ok' : 'error');
  return {
    ...toAccountBody(summary),
    configured_scopes: [...summary.config.scopes],
    access_token: details !== undefined,
    refresh_token: summary.hasRefreshToken,
    id_token_expires_at: summary.idTokenExpiresAt === undefined ? null : seconds(summary.idTokenExpiresAt),
    last_refresh:
      lastAt === undefined && summary.lastError === undefined
        ? null
        : {
            at: seconds(lastAt ?? 0),
            outcome,
            ...(summary.lastError === undefined ? {} : { code: summary.lastError.code, message: summary.lastError.message }),
          },
    approval: summary.config.approval,
    git_hosts: [...(summary.config.git?.hosts ?? [])],
    registries: [...(summary.config.registry?.hosts ?? [])],
    config: summary.config,
    secrets: { client_secret: summary.secretsHeld?.clientSecret ?? false, private_key: summary.secretsHeld?.privateKey ?? false },
  };
}

/** One element of `GET /v1/audit`: `at` in epoch seconds (millisecond fraction kept). */
export interface AuditEntryBody {
  at: number;
  account: string;
  client: string;
  outcome: AuditEntry['outcome'];
  code?: string;
  /** `id_token`, `exchange`, `dpop_proof` or `proxy` (CONTRACTS.md); absent for a token hand-out. */
  kind?: AuditEntry['kind'];
  /** `dpop_proof` and `proxy`: the request's method and host; `proxy`: the status the client got. */
  method?: string;
  host?: string;
  status?: number;
  /** Who connected: the socket's peer credentials (`verified: true`), or `{"verified": false}` over TCP. */
  caller?: AuditEntry['caller'];
}

export function toAuditEntryBody(entry: AuditEntry): AuditEntryBody {
  return { ...entry, at: entry.at / 1000 };
}

/** One sign-in phase on the login stream: the broker's {@link SignInProgress} in the API's spelling. */
export type LoginProgressBody =
  | { account: string; phase: 'starting' | 'exchanging' | 'done' | 'cancelled' }
  | { account: string; phase: 'waiting_for_browser'; url: string }
  | {
      account: string;
      phase: 'device_code';
      user_code: string;
      verification_uri: string;
      /** The URI with the code filled in (RFC 8628 §3.3.1); null when the provider sent none. */
      verification_uri_complete: string | null;
      /** Epoch seconds after which the code is no longer valid. */
      expires_at: number;
    }
  | { account: string; phase: 'failed'; error: ErrorBody['error'] };

/**
 * One line of the `POST /v1/accounts/{name}/login` NDJSON stream: progress lines, then either the
 * result with the signed-in account or the error with the HTTP status it would have had.
 */
export type LoginStreamLine = { progress: LoginProgressBody } | { result: 'ok'; account: AccountBody } | (ErrorBody & { status: number });

export function toLoginProgressBody(progress: SignInProgress): LoginProgressBody {
  switch (progress.phase) {
    case 'starting':
    case 'exchanging':
    case 'done':
    case 'cancelled':
      return { account: progress.account, phase: progress.phase };
    case 'waiting_for_browser':
      return { account: progress.account, phase: progress.phase, url: progress.url };
    case 'device_code':
      return {
        account: progress.account,
        phase: progress.phase,
        user_code: progress.userCode,
        verification_uri: progress.verificationUri,
        verification_uri_complete: progress.verificationUriComplete ?? null,
        expires_at: Math.floor(progress.expiresAt / 1000),
      };
    case 'failed':
      return { account: progress.account, phase: progress.phase, error: toErrorBody(progress.error).error };
  }
}

const CLIENT_NAME_MAX = 64;

/**
 * Names that belong to the broker itself: the desktop app's in-process calls are audited as
 * "Token Broker app" (main/ipc/handlers.ts). A script claiming such a name is relabelled so a
 * prompt or an audit line never passes it off as the app. The comparison is on a normalised form
 * — lower case, digits that pass for letters read as those letters (T0ken), any separators between
 * the words (Token-Broker, token_broker, TOKEN.BROKER) — so spelling variants are caught too; the
 * CLI's own names (`token-broker token`) are ours but not the app, and are kept.
 */
const RESERVED_NAME = /^token[^a-z]*broker(?![a-z])/;
const RESERVED_APP_PREFIX = 'tokenbrokerapp';
/** How the CLI names itself (`token-broker token`, `token-broker-cli`): ours, but not the app. */
const CLI_CLIENT_NAME = /^token-broker(?:-cli$| (?!app\b)[a-z])/;
const RESERVED_CLIENT_LABEL = 'socket: ';
const LOOKALIKE_DIGITS: Readonly<Record<string, string>> = { '0': 'o', '1': 'l', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b' };

/** Lower case with look-alike digits read as letters; other characters kept. */
function lookalike(name: string): string {
  return name.toLowerCase().replace(/[0134578]/g, (digit) => LOOKALIKE_DIGITS[digit] ?? digit);
}

/** The folded form: {@link lookalike}, letters only. */
export function foldClientName(name: string): string {
  return lookalike(name).replace(/[^a-z]/g, '');
}

/** True for a name that would pass for the app's own. */
export function isReservedClientName(name: string): boolean {
  if (foldClientName(name).startsWith(RESERVED_APP_PREFIX)) return true;
  return RESERVED_NAME.test(lookalike(name)) && !CLI_CLIENT_NAME.test(name);
}

/**
 * The `X-Token-Broker-Client` header as it may appear in the audit log and the approval prompt:
 * printable ASCII from a small set, bounded, "unknown" when absent, and never one of the
 * broker's own names (those get a `socket: ` prefix). A client can lie about its name; the point
 * is a readable label — the verified executable beside it is what identifies the caller.
 */
export function sanitizeClientName(header: string | string[] | undefined): string {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return 'unknown';
  const cleaned = raw
    .replace(/[^A-Za-z0-9 ._:/@+()-]/g, '')
    .trim()
    .slice(0, CLIENT_NAME_MAX);
  if (cleaned === '') return 'unknown';
  return isReservedClientName(cleaned) ? `${RESERVED_CLIENT_LABEL}${cleaned}` : cleaned;
}
