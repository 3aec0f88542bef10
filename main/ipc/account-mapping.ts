/**
 * Between the IPC wire shapes and the broker's model: AccountDraft (what the form sends) →
 * AccountInput + secrets, and AccountSummary / TokenDetails / AuditEntry → their views. Pure.
 */
import type { AccountInput, ProviderConfig } from '../core/accounts/model.js';
import type { AccountSecretsInput, AccountSummary, AuditEntry, ErrorInfo, SignInProgress, TokenDetails } from '../core/broker/types.js';
import type { AccountDraft, AccountView, AuditEntryView, IpcError, SignInProgressView, TokenDetailsView } from './contract.js';
import { CLIENT_AUTH_TRAITS } from '../shared/client-auth.js';

/** Builds a provider from a preset's fields (main/core/accounts/presets.ts `presetProvider`). */
export type PresetProviderFn = (presetId: string, fields: Record<string, string>) => ProviderConfig;

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/** `T` with the keys whose value may be undefined made optional (and never undefined). */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Leaves out the keys whose value is undefined: the views' optional fields are absent, never undefined. */
function withoutUndefined<T extends Record<string, unknown>>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}

function draftProvider(draft: AccountDraft, presetProvider: PresetProviderFn | undefined): ProviderConfig {
  const fields = withoutUndefined({ ...draft.presetFields });
  const explicit = nonEmpty(draft.issuer) !== undefined || nonEmpty(draft.tokenEndpoint) !== undefined;
  // A preset builds the endpoints from its fields (or its defaults) unless the form gave them outright.
  if (draft.preset !== undefined && presetProvider !== undefined && (Object.keys(fields).length > 0 || !explicit)) {
    const built = presetProvider(draft.preset, fields as Record<string, string>);
    if (draft.extraParams === undefined) return built;
    // The draft's parameters replace the preset's defaults (so one can be removed), but a
    // parameter the person typed into a preset field (Auth0 audience) is the one that counts.
    const fromFields = Object.fromEntries(
      Object.entries(built.extraParams ?? {}).filter(([key]) => nonEmpty(fields[key as keyof typeof fields]) !== undefined),
    );
    const endpoints: ProviderConfig = { ...built };
    delete endpoints.extraParams;
    return withExtraParams(endpoints, { ...draft.extraParams, ...fromFields });
  }
  const provider: ProviderConfig = withoutUndefined({
    issuer: nonEmpty(draft.issuer),
    authorizationEndpoint: nonEmpty(draft.authorizationEndpoint),
    tokenEndpoint: nonEmpty(draft.tokenEndpoint),
    deviceAuthorizationEndpoint: nonEmpty(draft.deviceAuthorizationEndpoint),
    revocationEndpoint: nonEmpty(draft.revocationEndpoint),
  });
  return withExtraParams(provider, draft.extraParams ?? {});
}

/** An empty parameter map is left out of config.json rather than stored as `{}`. */
function withExtraParams(provider: ProviderConfig, extraParams: Record<string, string>): ProviderConfig {
  return Object.keys(extraParams).length === 0 ? provider : { ...provider, extraParams };
}

/**
 * Maps the form's draft to the broker's account input and the secrets that go to the vault.
 * The client secret field carries the PEM key for private_key_jwt. Secrets are `undefined` when
 * the draft has none (on edit: keep what the vault holds). The broker validates the result
 * (main/core/accounts/validate.ts) before it stores anything.
 */
export function draftToAccountInput(
  draft: AccountDraft,
  presetProvider?: PresetProviderFn,
): { input: AccountInput; secrets: AccountSecretsInput | undefined } {
  const gitHosts = draft.gitHosts?.filter((host) => host.trim() !== '') ?? [];
  const registryHosts = draft.registryHosts?.map((host) => host.trim()).filter((host) => host !== '') ?? [];
  const exchangeAudiences = draft.exchangeAudiences?.filter((audience) => audience.trim() !== '') ?? [];
  const input: AccountInput = withoutUndefined({
    name: draft.name,
    preset: draft.preset,
    provider: draftProvider(draft, presetProvider),
    client: withoutUndefined({ id: draft.clientId, auth: draft.clientAuth, keyId: nonEmpty(draft.keyId) }),
    grant: draft.grant,
    scopes: draft.scopes,
    redirectUri: nonEmpty(draft.redirectUri),
    allowLegacy: draft.allowLegacy,
    approval: draft.approval,
    dpop: draft.dpop,
    tokenExchange: exchangeAudiences.length > 0 ? { audiences: exchangeAudiences } : undefined,
    git:
      gitHosts.length > 0 || draft.gitUsername !== undefined
        ? withoutUndefined({ hosts: gitHosts, username: nonEmpty(draft.gitUsername) })
        : undefined,
    refresh:
      draft.refreshPolicy === undefined && draft.idleAfterHours === undefined
        ? undefined
        : withoutUndefined({ proactive: draft.refreshPolicy ?? 'auto', idleAfterHours: draft.idleAfterHours }),
    registry: registryHosts.length > 0 ? withoutUndefined({ hosts: registryHosts, username: nonEmpty(draft.registryUsername) }) : undefined,
    kubernetes: draft.kubernetesTokenType === undefined ? undefined : { tokenType: draft.kubernetesTokenType },
  });
  // The form has one secret field; the auth method says which vault field it fills.
  const field = CLIENT_AUTH_TRAITS[draft.clientAuth].secret?.field ?? 'clientSecret';
  const secrets: AccountSecretsInput | undefined = draft.clientSecret === undefined ? undefined : { [field]: draft.clientSecret };
  return { input, secrets };
}

/**
 * An error as it crosses IPC, from the secret-free {@link ErrorInfo} (`BrokerError.toJSON()`,
 * or a `lastError` kept from one). Copied field by field: whatever else the object holds stays in main.
 */
export function toIpcError(error: ErrorInfo): IpcError {
  return withoutUndefined({
    code: error.code,
    message: error.message,
    oauthError: error.oauthError,
    oauthErrorDescription: error.oauthErrorDescription,
  });
}

/** An account as the window shows it. Built field by field so nothing new on the summary leaks by accident. */
export function toAccountView(summary: AccountSummary): AccountView {
  const { config } = summary;
  return withoutUndefined({
    name: summary.name,
    preset: config.preset,
    grant: summary.grant,
    status: summary.status,
    expiresAt: summary.expiresAt,
    scopes: [...summary.scopes],
    issuer: config.provider.issuer,
    tokenEndpoint: config.provider.tokenEndpoint,
    authorizationEndpoint: config.provider.authorizationEndpoint,
    deviceAuthorizationEndpoint: config.provider.deviceAuthorizationEndpoint,
    revocationEndpoint: config.provider.revocationEndpoint,
    extraParams: config.provider.extraParams === undefined ? undefined : { ...config.provider.extraParams },
    clientId: config.client.id,
    clientAuth: config.client.auth,
    keyId: config.client.keyId,
    gitHosts: config.git === undefined ? undefined : [...config.git.hosts],
    gitUsername: config.git?.username,
    registryHosts: config.registry === undefined ? undefined : [...config.registry.hosts],
    registryUsername: config.registry?.username,
    kubernetesTokenType: config.kubernetes?.tokenType,
    approval: config.approval,
    allowLegacy: config.allowLegacy,
    redirectUri: config.redirectUri,
    dpop: config.dpop,
    senderConstrained: summary.senderConstrained,
    exchangeAudiences: config.tokenExchange === undefined ? undefined : [...config.tokenExchange.audiences],
    hasRefreshToken: summary.hasRefreshToken,
    refreshPolicy: config.refresh?.proactive ?? 'auto',
    idleAfterHours: config.refresh?.idleAfterHours,
    refreshMode: summary.refreshMode,
    lastUsedAt: summary.lastUsedAt,
    lastRefreshAt: summary.lastRefreshAt,
    lastError: summary.lastError === undefined ? undefined : toIpcError(summary.lastError),
    identity: summary.identity === undefined ? undefined : { ...summary.identity },
    idTokenExpiresAt: summary.idTokenExpiresAt,
    usesIdToken: summary.usesIdToken,
  });
}

export function toTokenDetailsView(details: TokenDetails): TokenDetailsView {
  return withoutUndefined({
    tokenType: details.tokenType,
    scope: details.scope,
    obtainedAt: details.obtainedAt,
    expiresAt: details.expiresAt,
    hasRefreshToken: details.hasRefreshToken,
    hasIdToken: details.hasIdToken,
    accessTokenClaims: details.accessTokenClaims,
    idTokenClaims: details.idTokenClaims,
    lastRefreshAt: details.lastRefreshAt,
    lastRefreshOutcome: details.lastRefreshOutcome,
    lastError: details.lastError === undefined ? undefined : toIpcError(details.lastError),
  });
}

export function toAuditEntryView(entry: AuditEntry): AuditEntryView {
  return withoutUndefined({
    at: entry.at,
    account: entry.account,
    client: entry.client,
    caller: entry.caller === undefined ? undefined : { ...entry.caller },
    outcome: entry.outcome,
    code: entry.code,
    kind: entry.kind,
    method: entry.method,
    host: entry.host,
    status: entry.status,
  });
}

export function toSignInProgressView(progress: SignInProgress): SignInProgressView {
  switch (progress.phase) {
    case 'waiting_for_browser':
      return { account: progress.account, phase: progress.phase, url: progress.url };
    case 'device_code':
      return withoutUndefined({
        account: progress.account,
        phase: progress.phase,
        userCode: progress.userCode,
        verificationUri: progress.verificationUri,
        verificationUriComplete: progress.verificationUriComplete,
        expiresAt: progress.expiresAt,
      });
    case 'failed':
      return { account: progress.account, phase: progress.phase, error: toIpcError(progress.error) };
    default:
      return { account: progress.account, phase: progress.phase };
  }
}
