import type { AccountDraft, AccountView, ClientAuthName, GrantName, PresetView } from '../../main/ipc/contract.js';
import { ACCOUNT_NAME_PATTERN } from '../../main/shared/accounts.js';
import { CLIENT_AUTH_TRAITS } from '../../main/shared/client-auth.js';
import { normalizeRegistryHost, type KubernetesTokenType } from '../../main/shared/consumers.js';
import { GRANT_TRAITS } from '../../main/shared/grants.js';
import {
  EXTRA_PARAM_NAME,
  isReservedRequestParam,
  MAX_EXTRA_PARAM_VALUE_LENGTH,
  MAX_EXTRA_PARAMS,
} from '../../main/shared/request-params.js';
import { isOptionalField, PARAMETER_FIELDS, presetFieldsFromAccount, presetKind } from './presets.js';

export { LEGACY_GRANTS } from '../../main/shared/grants.js';

/** Everything the add/edit form holds, as strings the inputs edit directly. */
export interface AccountFormValues {
  name: string;
  presetId: string;
  presetFields: Record<string, string>;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint: string;
  revocationEndpoint: string;
  clientId: string;
  clientAuth: ClientAuthName;
  clientSecret: string;
  keyId: string;
  grant: GrantName;
  scopes: string;
  redirectUri: string;
  allowLegacy: boolean;
  approval: 'auto' | 'ask';
  gitHosts: string;
  gitUsername: string;
  /** Container registry hosts, space or comma separated. */
  registryHosts: string;
  registryUsername: string;
  /** '' = the preset's choice. */
  kubernetesTokenType: '' | KubernetesTokenType;
  dpop: 'auto' | 'on' | 'off';
  /** Token exchange audiences, separated by spaces. */
  exchangeAudiences: string;
  /** Extra request parameters, one `key=value` per line. */
  extraParams: string;
}

export type AccountFormField = keyof AccountFormValues | `preset.${string}`;
// `undefined` clears one field's error while the others stay.
export type AccountFormErrors = Partial<Record<AccountFormField, string | undefined>>;

const HOST_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/;

/** `{a: '1', b: '2'}` → `"a=1\nb=2"`, leaving out the keys a preset field shows instead. */
export function formatExtraParams(params: Record<string, string> | undefined, skip: ReadonlySet<string> = new Set()): string {
  return Object.entries(params ?? {})
    .filter(([key]) => !skip.has(key))
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}

/**
 * Parses the "Extra authorization parameters" text (`key=value` per line, blank lines ignored)
 * the way main checks it: names of letters, digits, ".", "_", "~", "-", no protocol parameter,
 * no duplicates, bounded. Answers the parameters or the first problem, naming its line.
 */
export function parseExtraParams(text: string): { params: Record<string, string> } | { error: string } {
  const params: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const at = `Line ${index + 1}`;
    const eq = line.indexOf('=');
    if (eq === -1) return { error: `${at}: write it as name=value, e.g. access_type=offline.` };
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!EXTRA_PARAM_NAME.test(key))
      return { error: `${at}: “${key}” is not a parameter name (letters, digits, “.”, “_”, “~” or “-”, at most 64).` };
    if (isReservedRequestParam(key)) return { error: `${at}: “${key}” is set by the broker itself and cannot be an extra parameter.` };
    if (Object.hasOwn(params, key)) return { error: `${at}: “${key}” is given twice.` };
    if (value.length > MAX_EXTRA_PARAM_VALUE_LENGTH) {
      return { error: `${at}: the value is longer than ${MAX_EXTRA_PARAM_VALUE_LENGTH} characters.` };
    }
    params[key] = value;
  }
  if (Object.keys(params).length > MAX_EXTRA_PARAMS) return { error: `At most ${MAX_EXTRA_PARAMS} extra parameters.` };
  return { params };
}

export function emptyFormValues(preset: PresetView): AccountFormValues {
  return {
    name: '',
    presetId: preset.id,
    presetFields: {},
    issuer: '',
    authorizationEndpoint: '',
    tokenEndpoint: '',
    deviceAuthorizationEndpoint: '',
    revocationEndpoint: '',
    clientId: '',
    clientAuth: preset.defaultClientAuth,
    clientSecret: '',
    keyId: '',
    grant: preset.defaultGrant,
    scopes: preset.defaultScopes.join(' '),
    redirectUri: '',
    allowLegacy: false,
    approval: 'auto',
    gitHosts: '',
    gitUsername: '',
    registryHosts: '',
    registryUsername: '',
    kubernetesTokenType: '',
    dpop: 'auto',
    exchangeAudiences: '',
    extraParams: formatExtraParams(preset.extraParams),
  };
}

/** Form values for editing an existing account; the secret stays empty ("keep the current one"). */
export function formValuesFromAccount(account: AccountView, preset: PresetView): AccountFormValues {
  return {
    ...emptyFormValues(preset),
    name: account.name,
    presetFields: presetFieldsFromAccount(preset, account),
    issuer: account.issuer ?? '',
    authorizationEndpoint: account.authorizationEndpoint ?? '',
    tokenEndpoint: account.tokenEndpoint ?? '',
    deviceAuthorizationEndpoint: account.deviceAuthorizationEndpoint ?? '',
    revocationEndpoint: account.revocationEndpoint ?? '',
    clientId: account.clientId,
    clientAuth: account.clientAuth,
    keyId: account.keyId ?? '',
    grant: account.grant,
    scopes: account.scopes.join(' '),
    redirectUri: account.redirectUri ?? '',
    allowLegacy: account.allowLegacy,
    approval: account.approval,
    gitHosts: (account.gitHosts ?? []).join(' '),
    gitUsername: account.gitUsername ?? '',
    registryHosts: (account.registryHosts ?? []).join(' '),
    registryUsername: account.registryUsername ?? '',
    kubernetesTokenType: account.kubernetesTokenType ?? '',
    dpop: account.dpop,
    exchangeAudiences: (account.exchangeAudiences ?? []).join(' '),
    // What the account stores, not the preset's defaults: an edit must not bring back a removed one.
    extraParams: formatExtraParams(account.extraParams, parameterFieldKeys(preset)),
  };
}

/** Keys of the preset's fields that main sends as request parameters (shown as fields, not lines). */
function parameterFieldKeys(preset: PresetView): ReadonlySet<string> {
  return new Set(preset.fields.filter((field) => PARAMETER_FIELDS.has(field.key)).map((field) => field.key));
}

export function splitList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function isLoopbackUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

export function needsSecret(auth: ClientAuthName): boolean {
  return CLIENT_AUTH_TRAITS[auth].secret !== undefined;
}

/** The grant signs in through the browser and comes back to the redirect URI. */
export function usesRedirect(grant: GrantName): boolean {
  return GRANT_TRAITS[grant].needsBrowser;
}

export interface ValidationResult {
  errors: AccountFormErrors;
  draft?: AccountDraft;
}

/**
 * Checks the form the way the broker will, so mistakes show next to their field before anything
 * is sent; on success returns the {@link AccountDraft} for `addAccount`/`updateAccount`.
 */
export function validateAccountForm(
  values: AccountFormValues,
  preset: PresetView,
  context: { mode: 'add' | 'edit'; existingNames: readonly string[] },
): ValidationResult {
  const errors: AccountFormErrors = {};
  const name = values.name.trim();
  if (name === '') errors.name = 'Give the account a name, e.g. “github-work”.';
  else if (!ACCOUNT_NAME_PATTERN.test(name))
    errors.name = 'Use letters, digits, “.”, “_” or “-” (at most 64), starting with a letter or digit.';
  else if (context.mode === 'add' && context.existingNames.includes(name)) errors.name = `An account named “${name}” already exists.`;

  const kind = presetKind(preset);
  let provider: Partial<AccountDraft> = {};
  if (kind === 'issuer') {
    const issuer = (values.presetFields.issuer ?? values.issuer).trim();
    if (issuer === '') errors['preset.issuer'] = 'Enter the issuer URL, e.g. https://id.example.com.';
    else if (!isHttpUrl(issuer)) errors['preset.issuer'] = 'The issuer must be an http(s) URL.';
    provider = { presetFields: { issuer }, issuer };
  } else if (kind === 'endpoints') {
    const endpoint = (
      key: 'authorizationEndpoint' | 'tokenEndpoint' | 'deviceAuthorizationEndpoint' | 'revocationEndpoint',
      required: boolean,
      label: string,
    ) => {
      const value = values[key].trim();
      if (value === '') {
        if (required) errors[key] = `The ${label} is required for this grant.`;
        return;
      }
      if (!isHttpUrl(value)) errors[key] = `The ${label} must be an http(s) URL.`;
      provider = { ...provider, [key]: value };
    };
    const needs = GRANT_TRAITS[values.grant].endpoints;
    endpoint('tokenEndpoint', needs.includes('token'), 'token endpoint');
    endpoint('authorizationEndpoint', needs.includes('authorization'), 'authorization endpoint');
    endpoint('deviceAuthorizationEndpoint', needs.includes('device_authorization'), 'device authorization endpoint');
    endpoint('revocationEndpoint', false, 'revocation endpoint');
    // A grant that never calls the token endpoint still names it: config.json requires it (or an issuer).
    if (!needs.includes('token') && values.tokenEndpoint.trim() === '' && errors.tokenEndpoint === undefined) {
      errors.tokenEndpoint = 'Enter the token endpoint too (the broker uses it to identify the provider).';
    }
  } else {
    for (const field of preset.fields) {
      const value = (values.presetFields[field.key] ?? '').trim();
      if (value === '' && !isOptionalField(field)) errors[`preset.${field.key}`] = `${field.label} is required.`;
      else if ((field.key === 'baseUrl' || field.key === 'issuer') && value !== '' && !isHttpUrl(value)) {
        errors[`preset.${field.key}`] = `${field.label} must be an https URL.`;
      } else if (field.key === 'domain' && value !== '' && !/^(https:\/\/)?[A-Za-z0-9.-]+(:\d+)?\/?$/.test(value)) {
        errors[`preset.${field.key}`] = `${field.label} is a domain name such as example.okta.com.`;
      }
    }
    const filled = Object.fromEntries(
      preset.fields.map((field) => [field.key, (values.presetFields[field.key] ?? '').trim()] as const).filter(([, value]) => value !== ''),
    );
    // Main builds the provider from the preset (and its defaults when no field is filled in).
    provider = Object.keys(filled).length > 0 ? { presetFields: filled } : {};
  }

  if (values.clientId.trim() === '') errors.clientId = 'Enter the client ID from the provider’s app registration.';
  if (context.mode === 'add' && needsSecret(values.clientAuth) && values.clientSecret === '') {
    errors.clientSecret =
      values.clientAuth === 'private_key_jwt'
        ? 'Paste the PEM private key for the client assertion.'
        : 'Enter the client secret, or choose “None (public client)”.';
  }

  if (GRANT_TRAITS[values.grant].legacy && !values.allowLegacy) {
    errors.grant = 'Legacy grants need the “I understand this is insecure” switch.';
  } else if (!preset.grants.includes(values.grant)) {
    errors.grant = `${preset.label} does not support this grant.`;
  }

  const redirectUri = values.redirectUri.trim();
  if (usesRedirect(values.grant) && redirectUri !== '' && !isLoopbackUrl(redirectUri)) {
    errors.redirectUri = 'Use a loopback URL such as http://127.0.0.1/callback (RFC 8252); leave out the port for any free port.';
  }

  const gitHosts = splitList(values.gitHosts);
  const badHost = gitHosts.find((host) => !HOST_PATTERN.test(host));
  if (badHost !== undefined) errors.gitHosts = `“${badHost}” is not a host name (use e.g. github.com, without https://).`;
  const registryHosts = splitList(values.registryHosts);
  const badRegistry = registryHosts.find((host) => normalizeRegistryHost(host) === undefined);
  if (badRegistry !== undefined) {
    errors.registryHosts = `“${badRegistry}” is not a registry host (use e.g. ghcr.io or registry.example.com:5000).`;
  }

  const extra = parseExtraParams(values.extraParams);
  if ('error' in extra) errors.extraParams = extra.error;

  if (Object.keys(errors).length > 0) return { errors };

  const draft: AccountDraft = {
    name,
    preset: preset.id,
    ...provider,
    clientId: values.clientId.trim(),
    clientAuth: values.clientAuth,
    grant: values.grant,
    scopes: splitList(values.scopes),
    allowLegacy: values.allowLegacy,
    approval: values.approval,
    dpop: values.dpop,
    // Always sent: an emptied field turns token exchange off.
    exchangeAudiences: splitList(values.exchangeAudiences),
  };
  if (values.clientSecret !== '' && needsSecret(values.clientAuth)) draft.clientSecret = values.clientSecret;
  if (values.clientAuth === 'private_key_jwt' && values.keyId.trim() !== '') draft.keyId = values.keyId.trim();
  if (usesRedirect(values.grant) && redirectUri !== '') draft.redirectUri = redirectUri;
  if (gitHosts.length > 0) draft.gitHosts = gitHosts;
  if (values.gitUsername.trim() !== '') draft.gitUsername = values.gitUsername.trim();
  if (registryHosts.length > 0) {
    draft.registryHosts = registryHosts;
    if (values.registryUsername.trim() !== '') draft.registryUsername = values.registryUsername.trim();
  }
  if (values.kubernetesTokenType !== '') draft.kubernetesTokenType = values.kubernetesTokenType;
  // Always sent (even empty): the form's list replaces the preset's defaults, so one can be removed.
  if ('params' in extra) draft.extraParams = extra.params;
  return { errors, draft };
}
