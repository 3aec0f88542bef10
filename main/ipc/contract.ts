/**
 * The one IPC contract between main, preload and renderer. It imports only from main/shared (the
 * dependency-free facts every layer shares), so every side can depend on it without pulling in
 * the others. Types here are the wire shapes: plain JSON, epoch milliseconds for times, and never
 * a token value.
 *
 * Every call resolves to an {@link IpcResult}: over Electron's `ipcMain.handle` only an error's
 * message survives, so errors cross as values with a code.
 */
import type { AccountIdentity, AccountStatus, ProactiveRefresh, RefreshMode } from '../shared/accounts.js';
import type { CallerInfo } from '../shared/caller.js';
import type { ClientAuthMethod } from '../shared/client-auth.js';
import type { KubernetesTokenType } from '../shared/consumers.js';
import type { ErrorInfo } from '../shared/errors.js';
import type { Grant } from '../shared/grants.js';
import type { SignInProgress } from '../shared/sign-in.js';

/** An error as it crosses IPC: one of the broker's codes, its message, the provider's OAuth error. */
export type IpcError = ErrorInfo;

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export interface VersionInfo {
  app: string;
  electron?: string;
  node?: string;
}

export type GrantName = Grant;
export type ClientAuthName = ClientAuthMethod;
export type AccountStatusName = AccountStatus;

/** An account as the UI sees it: configuration and token status, no secrets. */
export interface AccountView {
  name: string;
  preset?: string;
  grant: GrantName;
  status: AccountStatusName;
  /** Epoch ms of access-token expiry; absent when unknown or never expiring. */
  expiresAt?: number;
  scopes: string[];
  issuer?: string;
  tokenEndpoint?: string;
  authorizationEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
  /** Provider-specific request parameters (e.g. Google access_type, Auth0 audience). Never secret. */
  extraParams?: Record<string, string>;
  clientId: string;
  clientAuth: ClientAuthName;
  /** `kid` of private_key_jwt client assertions. */
  keyId?: string;
  gitHosts?: string[];
  gitUsername?: string;
  /** Container registries docker-credential-token-broker answers for with this account. */
  registryHosts?: string[];
  /** The configured registry username (absent: the preset's, else oauth2accesstoken). */
  registryUsername?: string;
  /** The configured `kubernetes.tokenType` (absent: the preset's choice). */
  kubernetesTokenType?: KubernetesTokenType;
  approval: 'auto' | 'ask';
  allowLegacy: boolean;
  redirectUri?: string;
  /** DPoP (RFC 9449): auto, on or off. */
  dpop: 'auto' | 'on' | 'off';
  /** The current access token is bound to the account's key (DPoP): useless to anyone who copies it. */
  senderConstrained: boolean;
  /** Audiences and resources token exchange (RFC 8693) may ask for; absent when it is not allowed. */
  exchangeAudiences?: string[];
  hasRefreshToken: boolean;
  /** The configured proactive refresh (`refresh.proactive`, default auto) and idle threshold. */
  refreshPolicy: ProactiveRefresh;
  idleAfterHours?: number;
  /** How the token is renewed now; `idle`: unused for idleAfterHours, refreshes on its next use. */
  refreshMode: RefreshMode;
  /** Epoch ms of the last hand-out to a script or the app. */
  lastUsedAt?: number;
  /** Epoch ms at which the held ID token expires; absent without one. */
  idTokenExpiresAt?: number;
  /** The account hands out its ID token: its expiry counts as much as the access token's (tray). */
  usesIdToken?: boolean;
  lastRefreshAt?: number;
  lastError?: IpcError;
  /** Who the account was last signed in as (subject, username, email); absent when never named. */
  identity?: AccountIdentity;
}

/** What the add/edit form sends. Secrets travel renderer → main once and are never sent back. */
export interface AccountDraft {
  name: string;
  preset?: string;
  /**
   * Values for the preset's {@link PresetField}s (e.g. Entra tenant); main builds the provider
   * endpoints from them. When absent, the explicit issuer/endpoints below are used.
   */
  presetFields?: Partial<Record<PresetField['key'], string>>;
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
  /**
   * Extra request parameters. When given they replace the preset's defaults (e.g. Google's
   * access_type=offline); parameters built from preset fields (Auth0 audience) win over them.
   */
  extraParams?: Record<string, string>;
  clientId: string;
  clientAuth: ClientAuthName;
  /** New client secret (or PEM private key for private_key_jwt); omitted on edit = keep. */
  clientSecret?: string;
  keyId?: string;
  grant: GrantName;
  scopes: string[];
  redirectUri?: string;
  allowLegacy: boolean;
  approval: 'auto' | 'ask';
  gitHosts?: string[];
  gitUsername?: string;
  /** Proactive refresh policy; omitted = auto. */
  refreshPolicy?: ProactiveRefresh;
  /** With auto: hours without a hand-out before the account is idle; omitted = 12. */
  idleAfterHours?: number;
  registryHosts?: string[];
  registryUsername?: string;
  kubernetesTokenType?: KubernetesTokenType;
  /** Default auto. */
  dpop?: 'auto' | 'on' | 'off';
  /** Allowed token exchange audiences; empty or absent = no token exchange. */
  exchangeAudiences?: string[];
}

export interface PresetField {
  key: 'tenant' | 'domain' | 'issuer' | 'realm' | 'baseUrl' | 'audience';
  label: string;
  placeholder?: string;
  help?: string;
  /** Whether the preset needs a value; optional fields fall back to `defaultValue`. */
  required?: boolean;
  defaultValue?: string;
}

/** A provider preset: defaults and the quirks the UI explains. */
export interface PresetView {
  id: string;
  label: string;
  /** Extra inputs the preset needs to build its endpoints (e.g. Entra tenant, Okta domain). */
  fields: PresetField[];
  grants: GrantName[];
  defaultGrant: GrantName;
  defaultScopes: string[];
  defaultClientAuth: ClientAuthName;
  hints: string[];
  docsUrl?: string;
  /** Extra request parameters the preset sends unless the account says otherwise (Google: access_type=offline). */
  extraParams?: Record<string, string>;
  /** What kubectl-credential hands out unless the account says: OpenID Connect providers id_token. */
  kubernetesTokenType?: KubernetesTokenType;
  /** The username the provider's container registries expect (Google oauth2accesstoken, GitLab oauth2). */
  registryUsername?: string;
}

export interface TokenDetailsView {
  tokenType: string;
  scope?: string;
  obtainedAt: number;
  expiresAt?: number;
  hasRefreshToken: boolean;
  hasIdToken: boolean;
  /** Claims of a JWT access token, decoded in main (not verified); the token itself never crosses. */
  accessTokenClaims?: Record<string, unknown>;
  idTokenClaims?: Record<string, unknown>;
  lastRefreshAt?: number;
  lastRefreshOutcome?: 'ok' | 'error';
  lastError?: IpcError;
}

/** Sign-in progress events: the broker's own shape, which holds no secret (a URL, a user code, a phase). */
export type SignInProgressView = SignInProgress;

export interface AuditEntryView {
  at: number;
  account: string;
  /** The claimed client name. */
  client: string;
  /** Who really asked (peer credentials), when the request came over the socket or TCP. */
  caller?: CallerInfo;
  outcome: 'granted' | 'denied' | 'needs_login' | 'error' | 'refused';
  code?: string;
  /** What was done: absent for a token hand-out; `exchange`, `dpop_proof`, `proxy` (a proxied request), … */
  kind?: 'token' | 'id_token' | 'exchange' | 'dpop_proof' | 'proxy';
  /** Proxied request or DPoP proof: the HTTP method, the upstream host (never a path) and the status. */
  method?: string;
  host?: string;
  status?: number;
}

export interface AuditFilter {
  account?: string;
  client?: string;
  limit?: number;
}

export interface ApprovalRequestView {
  id: string;
  account: string;
  /** The name the caller claims (`X-Token-Broker-Client`): shown beside the verified executable. */
  client: string;
  /** Who really asks: the verified executable and pid, or unverified (TCP). */
  caller?: CallerInfo;
  /**
   * The verified caller's program and first argument (the script an interpreter runs), to tell
   * programs apart; later arguments are left out (they may hold anything).
   */
  commandLine?: string[];
  requestedAt: number;
  /** Epoch ms after which the request is denied automatically. */
  expiresAt: number;
}

export type ApprovalAnswer = 'once' | 'hour' | 'deny';

/** How a sign-in may end. */
export interface SignInRequestOptions {
  /**
   * The person confirmed switching the account to another user: a sign-in as another subject
   * than the account's is accepted (otherwise it fails with `IDENTITY_CHANGED`, nothing changed).
   */
  allowOtherUser?: boolean;
}

export interface SettingsView {
  socketPath: string;
  /** `problem`: why an enabled listener is not running (its port taken: the key was revoked). */
  tcpListener: { enabled: boolean; port: number; address?: string; problem?: string };
  startAtLogin: boolean;
}

export interface SettingsPatch {
  tcpListener?: { enabled: boolean; port?: number };
  startAtLogin?: boolean;
}

export interface DiscoveryCheck {
  issuer: string;
  authorizationEndpoint?: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
}

/** Request/response channels: name → argument tuple and result value. */
export interface IpcInvokeMap {
  version: { args: []; result: VersionInfo };
  listAccounts: { args: []; result: AccountView[] };
  listPresets: { args: []; result: PresetView[] };
  checkDiscovery: { args: [issuer: string]; result: DiscoveryCheck };
  addAccount: { args: [draft: AccountDraft]; result: AccountView };
  updateAccount: { args: [name: string, draft: AccountDraft]; result: AccountView };
  /** Gives the account a new name, keeping its secrets and tokens. */
  renameAccount: { args: [name: string, newName: string]; result: AccountView };
  removeAccount: { args: [name: string]; result: null };
  /** Starts a sign-in; progress arrives as `signInProgress` events. Resolves when it is done. */
  signIn: {
    args: [name: string, credentials?: { username: string; password: string }, options?: SignInRequestOptions];
    result: null;
  };
  cancelSignIn: { args: [name: string]; result: null };
  /** Opens the device flow's verification URI that the broker itself received. */
  openVerificationUri: { args: [name: string]; result: null };
  refresh: { args: [name: string]; result: AccountView };
  signOut: { args: [name: string]; result: AccountView };
  /** Copies the access token to the clipboard in main; cleared after 30 s if unchanged. */
  copyToken: { args: [name: string]; result: { clearsAt: number } };
  tokenDetails: { args: [name: string]; result: TokenDetailsView | null };
  listApprovals: { args: []; result: ApprovalRequestView[] };
  answerApproval: { args: [id: string, answer: ApprovalAnswer]; result: null };
  auditLog: { args: [filter?: AuditFilter]; result: AuditEntryView[] };
  getSettings: { args: []; result: SettingsView };
  updateSettings: { args: [patch: SettingsPatch]; result: SettingsView };
  /** Copies the TCP listener's bearer key to the clipboard (never sent to the renderer). */
  copyTcpKey: { args: []; result: { clearsAt: number } };
  regenerateTcpKey: { args: []; result: SettingsView };
}

/** Main → renderer events: name → payload. */
export interface IpcEventMap {
  accountsChanged: AccountView[];
  signInProgress: SignInProgressView;
  approvalRequested: ApprovalRequestView;
  approvalResolved: { id: string };
  auditAppended: AuditEntryView;
}

export type IpcChannel = keyof IpcInvokeMap;
export type IpcEvent = keyof IpcEventMap;

/** Channel names on the wire; the preload and the main-side binding both use these tables. */
export const IPC_INVOKE_CHANNELS: { readonly [K in IpcChannel]: `broker:${K}` } = {
  version: 'broker:version',
  listAccounts: 'broker:listAccounts',
  listPresets: 'broker:listPresets',
  checkDiscovery: 'broker:checkDiscovery',
  addAccount: 'broker:addAccount',
  updateAccount: 'broker:updateAccount',
  renameAccount: 'broker:renameAccount',
  removeAccount: 'broker:removeAccount',
  signIn: 'broker:signIn',
  cancelSignIn: 'broker:cancelSignIn',
  openVerificationUri: 'broker:openVerificationUri',
  refresh: 'broker:refresh',
  signOut: 'broker:signOut',
  copyToken: 'broker:copyToken',
  tokenDetails: 'broker:tokenDetails',
  listApprovals: 'broker:listApprovals',
  answerApproval: 'broker:answerApproval',
  auditLog: 'broker:auditLog',
  getSettings: 'broker:getSettings',
  updateSettings: 'broker:updateSettings',
  copyTcpKey: 'broker:copyTcpKey',
  regenerateTcpKey: 'broker:regenerateTcpKey',
};

export const IPC_EVENT_CHANNELS: { readonly [K in IpcEvent]: `broker-event:${K}` } = {
  accountsChanged: 'broker-event:accountsChanged',
  signInProgress: 'broker-event:signInProgress',
  approvalRequested: 'broker-event:approvalRequested',
  approvalResolved: 'broker-event:approvalResolved',
  auditAppended: 'broker-event:auditAppended',
};

/** The API the preload exposes as `window.broker`. */
export type BrokerApi = {
  readonly [K in IpcChannel]: (...args: IpcInvokeMap[K]['args']) => Promise<IpcResult<IpcInvokeMap[K]['result']>>;
} & {
  /** Subscribes to a main → renderer event; returns the unsubscribe function. */
  readonly on: <E extends IpcEvent>(event: E, listener: (payload: IpcEventMap[E]) => void) => () => void;
};
