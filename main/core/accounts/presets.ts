/**
 * Provider presets: endpoints, defaults and the quirks of the providers developers use most.
 * Every quirk listed in a preset's `hints` is explained in docs/providers.md.
 *
 * A preset is plain data (structurally a `PresetView` of main/ipc/contract.ts, so it crosses IPC
 * as is); {@link presetProvider} turns a preset plus the user's field values into the
 * {@link ProviderConfig} that is stored in config.json.
 */
import { BrokerError } from '../errors.js';
import type { ClientAuthMethod } from '../../shared/client-auth.js';
import { GRANTS, type Grant } from '../../shared/grants.js';
import type { ProviderConfig } from './model.js';
import type { KubernetesTokenType } from '../../shared/consumers.js';

export type PresetFieldKey = 'tenant' | 'domain' | 'issuer' | 'realm' | 'baseUrl' | 'audience';

export interface PresetField {
  key: PresetFieldKey;
  label: string;
  placeholder?: string;
  help?: string;
  /** Whether the field must be filled in; optional fields fall back to `defaultValue`. */
  required: boolean;
  defaultValue?: string;
}

export interface Preset {
  id: string;
  label: string;
  fields: PresetField[];
  grants: Grant[];
  defaultGrant: Grant;
  defaultScopes: string[];
  defaultClientAuth: ClientAuthMethod;
  hints: string[];
  docsUrl?: string;
  /**
   * Extra request parameters the preset always sends (`provider.extraParams`), e.g. Google's
   * `access_type=offline`; field-derived ones (Auth0 `audience`) are added by {@link presetProvider}.
   */
  extraParams?: Record<string, string>;
  /**
   * What `kubectl-credential` hands out unless the account says (`kubernetes.tokenType`): the ID
   * token for OpenID Connect providers (kube-apiserver's OIDC authenticator takes it), the access
   * token for plain OAuth 2.0 ones.
   */
  kubernetesTokenType: KubernetesTokenType;
  /** The username the provider's container registries expect with the access token (Google, GitLab). */
  registryUsername?: string;
}

/** Explicit endpoints the generic OAuth 2.0 preset (and GitHub-like setups) take as fields. */
const ENDPOINT_KEYS = ['authorizationEndpoint', 'tokenEndpoint', 'deviceAuthorizationEndpoint', 'revocationEndpoint'] as const;
type EndpointKey = (typeof ENDPOINT_KEYS)[number];

const ENTRA_TENANT =
  /^(common|organizations|consumers|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+(?::\d{1,5})?$/i;
const REALM = /^[A-Za-z0-9._~-]{1,255}$/;

export const PRESETS: readonly Preset[] = [
  {
    id: 'github',
    label: 'GitHub',
    fields: [
      {
        key: 'baseUrl',
        label: 'GitHub URL',
        placeholder: 'https://github.com',
        help: 'Only for GitHub Enterprise Server: your server URL, e.g. https://github.example.com.',
        required: false,
        defaultValue: 'https://github.com',
      },
    ],
    grants: ['authorization_code', 'device_code'],
    defaultGrant: 'authorization_code',
    defaultScopes: ['read:user'],
    defaultClientAuth: 'post',
    kubernetesTokenType: 'access_token',
    hints: [
      'GitHub has no OpenID Connect discovery for user sign-in, so the endpoints are set explicitly.',
      'OAuth app tokens do not expire (no refresh token) unless you use a GitHub App with "user-to-server token expiration" on: then tokens last 8 hours and refresh tokens 6 months.',
      'The authorization code flow needs the client secret, even with PKCE.',
      'Device flow must be enabled in the app settings ("Enable Device Flow"); it needs no client secret.',
      'Register the callback URL http://127.0.0.1/callback: GitHub accepts any port on a loopback callback.',
      'GitHub has no RFC 7009 revocation endpoint; sign-out forgets the token locally — revoke it under Settings → Applications.',
    ],
    docsUrl: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
  },
  {
    id: 'google',
    label: 'Google',
    fields: [],
    grants: ['authorization_code', 'device_code'],
    defaultGrant: 'authorization_code',
    defaultScopes: ['openid', 'email', 'profile'],
    defaultClientAuth: 'post',
    kubernetesTokenType: 'id_token',
    registryUsername: 'oauth2accesstoken',
    hints: [
      'Create an OAuth client of type "Desktop app". Google still requires its client secret at the token endpoint (it is not treated as confidential).',
      'Desktop clients accept the loopback redirect http://127.0.0.1 on any port without registering it.',
      'Google returns a refresh token only when the authorization request asks for offline access: the preset sends access_type=offline and prompt=consent, so every sign-in gets a new refresh token.',
      'While the OAuth consent screen is in "Testing", refresh tokens expire after 7 days.',
      'Device flow needs a client of type "TVs and Limited Input devices" and supports only a few scopes.',
    ],
    docsUrl: 'https://developers.google.com/identity/protocols/oauth2/native-app',
    extraParams: { access_type: 'offline', prompt: 'consent' },
  },
  {
    id: 'entra',
    label: 'Microsoft Entra ID',
    fields: [
      {
        key: 'tenant',
        label: 'Tenant',
        placeholder: 'contoso.onmicrosoft.com',
        help: 'Directory (tenant) ID, a verified domain, or "organizations" (work/school accounts), "consumers" (personal accounts), "common" (both).',
        required: true,
      },
    ],
    grants: ['authorization_code', 'device_code', 'client_credentials'],
    defaultGrant: 'authorization_code',
    defaultScopes: ['openid', 'profile', 'offline_access', 'User.Read'],
    defaultClientAuth: 'none',
    kubernetesTokenType: 'id_token',
    hints: [
      'Uses the v2.0 endpoints of your tenant: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/…; the v2.0 issuer contains the tenant ID.',
      'Add the "offline_access" scope to get refresh tokens.',
      'For sign-in from this app register the platform "Mobile and desktop applications" with a loopback redirect URI (http://localhost or http://127.0.0.1); Entra ignores the port of loopback redirects.',
      'A token is issued for one resource: ask for scopes of one API at a time (e.g. User.Read for Microsoft Graph).',
      'client_credentials uses the scope "<resource>/.default" (e.g. https://graph.microsoft.com/.default) and a client secret or certificate.',
      'Device flow needs "Allow public client flows" enabled on the app registration.',
    ],
    docsUrl: 'https://learn.microsoft.com/entra/identity-platform/v2-protocols',
  },
  {
    id: 'gitlab',
    label: 'GitLab',
    fields: [
      {
        key: 'baseUrl',
        label: 'GitLab URL',
        placeholder: 'https://gitlab.com',
        help: 'Your GitLab instance; leave empty for gitlab.com.',
        required: false,
        defaultValue: 'https://gitlab.com',
      },
    ],
    grants: ['authorization_code', 'device_code'],
    defaultGrant: 'authorization_code',
    defaultScopes: ['openid', 'read_user'],
    defaultClientAuth: 'none',
    kubernetesTokenType: 'id_token',
    registryUsername: 'oauth2',
    hints: [
      'Create the application with "Confidential" unchecked to sign in with PKCE and no secret (or keep it confidential and give the secret with basic or post authentication).',
      'Access tokens expire after 2 hours; refresh tokens are rotated on every refresh.',
      'Register the redirect URI exactly as the account uses it (a fixed port is the safe choice).',
      'For git over HTTPS use the scopes read_repository/write_repository; the git username is "oauth2".',
      'Device flow needs GitLab 17.2 or later.',
    ],
    docsUrl: 'https://docs.gitlab.com/api/oauth2/',
  },
  {
    id: 'okta',
    label: 'Okta',
    fields: [
      {
        key: 'domain',
        label: 'Okta domain',
        placeholder: 'dev-123456.okta.com',
        help: 'Your Okta (or custom) domain, without https://.',
        required: true,
      },
      {
        key: 'issuer',
        label: 'Authorization server issuer',
        placeholder: 'https://dev-123456.okta.com/oauth2/default',
        help: 'Leave empty for the custom authorization server "default"; use https://<domain> for the org authorization server or https://<domain>/oauth2/<id> for another custom one.',
        required: false,
      },
    ],
    grants: ['authorization_code', 'device_code', 'client_credentials'],
    defaultGrant: 'authorization_code',
    defaultScopes: ['openid', 'profile', 'email', 'offline_access'],
    defaultClientAuth: 'none',
    kubernetesTokenType: 'id_token',
    hints: [
      'Ask for "offline_access" and enable the Refresh Token grant on the app to get refresh tokens.',
      'A "Native" app signs in with PKCE and no secret; client_credentials needs an "API Services" app and a custom authorization server.',
      'The org authorization server (issuer https://<domain>) issues tokens only for Okta APIs; your own APIs use a custom server such as /oauth2/default.',
      'Device flow must be enabled as a grant type on a Native app.',
    ],
    docsUrl: 'https://developer.okta.com/docs/concepts/auth-servers/',
  },
  {
    id: 'auth0',
    label: 'Auth0',
    fields: [
      {
        key: 'domain',
        label: 'Auth0 domain',
        placeholder: 'your-tenant.us.auth0.com',
        help: 'Tenant domain or custom domain, without https://.',
        required: true,
      },
      {
        key: 'audience',
        label: 'API audience',
        placeholder: 'https://api.example.com',
        help: 'The identifier of your API in Auth0; sent as the audience parameter so Auth0 issues an access token for it. Leave empty for a /userinfo-only token.',
        required: false,
      },
    ],
    grants: ['authorization_code', 'device_code', 'client_credentials'],
    defaultGrant: 'authorization_code',
    defaultScopes: ['openid', 'profile', 'email', 'offline_access'],
    defaultClientAuth: 'none',
    kubernetesTokenType: 'id_token',
    hints: [
      'Ask for "offline_access" and turn on "Allow Offline Access" on the API to get refresh tokens.',
      'Without an "audience" parameter Auth0 issues an opaque token for /userinfo only; give the API audience (your API identifier) to get an access token for your API.',
      'The issuer ends with a slash: https://<domain>/.',
      'Refresh token rotation is configured per application.',
    ],
    docsUrl: 'https://auth0.com/docs/get-started/authentication-and-authorization-flow',
  },
  {
    id: 'keycloak',
    label: 'Keycloak',
    fields: [
      {
        key: 'baseUrl',
        label: 'Keycloak URL',
        placeholder: 'https://sso.example.com',
        help: 'Server URL; Keycloak 16 and older need the /auth suffix.',
        required: true,
      },
      { key: 'realm', label: 'Realm', placeholder: 'my-realm', required: true },
    ],
    grants: ['authorization_code', 'device_code', 'client_credentials', 'password'],
    defaultGrant: 'authorization_code',
    defaultScopes: ['openid', 'profile', 'email'],
    defaultClientAuth: 'none',
    kubernetesTokenType: 'id_token',
    hints: [
      'The issuer is the realm URL: <Keycloak URL>/realms/<realm>.',
      'A public client signs in with PKCE and no secret; client_credentials needs a confidential client with "Service accounts" on.',
      'Device flow must be enabled on the client ("OAuth 2.0 Device Authorization Grant").',
      '"offline_access" gives offline tokens that outlive the SSO session.',
      'The password grant is legacy and needs "Direct access grants" on the client and the account\'s legacy opt-in.',
    ],
    docsUrl: 'https://www.keycloak.org/docs/latest/server_admin/#_oidc',
  },
  {
    id: 'oidc',
    label: 'OpenID Connect (discovery)',
    fields: [
      {
        key: 'issuer',
        label: 'Issuer URL',
        placeholder: 'https://id.example.com',
        help: 'Endpoints are read from <issuer>/.well-known/openid-configuration (or RFC 8414 metadata).',
        required: true,
      },
    ],
    grants: [...GRANTS],
    defaultGrant: 'authorization_code',
    defaultScopes: ['openid'],
    defaultClientAuth: 'basic',
    kubernetesTokenType: 'id_token',
    hints: [
      'The issuer must match the "issuer" in the discovery document exactly (including any trailing slash).',
      'Many providers need the "offline_access" scope for refresh tokens.',
      "implicit and password are legacy grants: they need the account's legacy opt-in.",
    ],
  },
  {
    id: 'oauth2',
    label: 'OAuth 2.0 (explicit endpoints)',
    fields: [],
    grants: [...GRANTS],
    defaultGrant: 'authorization_code',
    defaultScopes: [],
    defaultClientAuth: 'basic',
    kubernetesTokenType: 'access_token',
    hints: [
      'For servers without discovery: give the token endpoint, and the authorization / device authorization / revocation endpoints the grant needs.',
      "implicit and password are legacy grants: they need the account's legacy opt-in.",
    ],
  },
];

/** Looks a preset up by id. */
export function findPreset(presetId: string): Preset | undefined {
  return PRESETS.find((preset) => preset.id === presetId);
}

/**
 * Builds the provider of an account from a preset and the user's field values. Empty values
 * count as absent; optional fields fall back to their defaults.
 * @throws BrokerError `INVALID_REQUEST` naming the preset or the field that is wrong.
 */
export function presetProvider(presetId: string, fields: Record<string, string>): ProviderConfig {
  const preset = findPreset(presetId);
  if (preset === undefined) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `preset: unknown provider preset "${presetId}" (known: ${PRESETS.map((p) => p.id).join(', ')})`,
    );
  }
  const values = new Map<string, string>();
  for (const [key, raw] of Object.entries(fields)) {
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (value === '') continue;
    const known =
      preset.fields.some((field) => field.key === key) || (preset.id === 'oauth2' && (ENDPOINT_KEYS as readonly string[]).includes(key));
    if (!known) throw new BrokerError('INVALID_REQUEST', `${key}: the ${preset.label} preset has no such field`);
    values.set(key, value);
  }
  for (const field of preset.fields) {
    if (!values.has(field.key) && field.defaultValue !== undefined) values.set(field.key, field.defaultValue);
    if (field.required && !values.has(field.key))
      throw new BrokerError('INVALID_REQUEST', `${field.key}: ${field.label} is required for ${preset.label}`);
  }
  const value = (key: string): string => values.get(key) ?? '';
  const provider = buildProvider(preset, values, value);
  const extraParams = { ...preset.extraParams, ...fieldParams(values) };
  return Object.keys(extraParams).length === 0 ? provider : { ...provider, extraParams };
}

/** Preset fields that become request parameters rather than endpoints. */
function fieldParams(values: ReadonlyMap<string, string>): Record<string, string> {
  const audience = values.get('audience');
  if (audience === undefined) return {};
  // An API identifier is usually a URL but may be any string; only its size and characters are checked.
  if (audience.length > 1024 || /\p{Cc}/u.test(audience)) {
    throw new BrokerError('INVALID_REQUEST', 'audience: at most 1024 characters, without control characters');
  }
  return { audience };
}

function buildProvider(preset: Preset, values: ReadonlyMap<string, string>, value: (key: string) => string): ProviderConfig {
  switch (preset.id) {
    case 'github': {
      const base = baseUrl('baseUrl', value('baseUrl'));
      return {
        authorizationEndpoint: `${base}/login/oauth/authorize`,
        tokenEndpoint: `${base}/login/oauth/access_token`,
        deviceAuthorizationEndpoint: `${base}/login/device/code`,
        // GitHub issues no ID token; its REST API names the user (login, id) behind an access token.
        userinfoEndpoint: base === 'https://github.com' ? 'https://api.github.com/user' : `${base}/api/v3/user`,
      };
    }
    case 'google':
      return { issuer: 'https://accounts.google.com' };
    case 'entra': {
      const tenant = value('tenant');
      if (!ENTRA_TENANT.test(tenant)) {
        throw new BrokerError(
          'INVALID_REQUEST',
          'tenant: must be a directory (tenant) ID, a verified domain, "common", "organizations" or "consumers"',
        );
      }
      const base = `https://login.microsoftonline.com/${encodeURIComponent(tenant.toLowerCase())}`;
      // Discovery's issuer is the tenant-ID URL, so it only matches for a tenant ID; the explicit
      // v2.0 endpoints work for every tenant form (including the multi-tenant aliases).
      return {
        ...(GUID.test(tenant) ? { issuer: `${base}/v2.0` } : {}),
        authorizationEndpoint: `${base}/oauth2/v2.0/authorize`,
        tokenEndpoint: `${base}/oauth2/v2.0/token`,
        deviceAuthorizationEndpoint: `${base}/oauth2/v2.0/devicecode`,
      };
    }
    case 'gitlab':
      return { issuer: baseUrl('baseUrl', value('baseUrl')) };
    case 'okta': {
      const domain = host('domain', value('domain'));
      const issuer = values.has('issuer') ? baseUrl('issuer', value('issuer')) : `https://${domain}/oauth2/default`;
      if (new URL(issuer).host.toLowerCase() !== domain.toLowerCase()) {
        throw new BrokerError('INVALID_REQUEST', `issuer: must be on the Okta domain ${domain}`);
      }
      return { issuer };
    }
    case 'auth0':
      return { issuer: `https://${host('domain', value('domain'))}/` };
    case 'keycloak': {
      const realm = value('realm');
      if (!REALM.test(realm)) throw new BrokerError('INVALID_REQUEST', 'realm: letters, digits and ".", "_", "~", "-" only');
      return { issuer: `${baseUrl('baseUrl', value('baseUrl'))}/realms/${realm}` };
    }
    case 'oidc':
      return { issuer: baseUrl('issuer', value('issuer'), { keepTrailingSlash: true }) };
    case 'oauth2': {
      if (!values.has('tokenEndpoint')) throw new BrokerError('INVALID_REQUEST', 'tokenEndpoint: the token endpoint URL is required');
      const provider: ProviderConfig = {};
      for (const key of ENDPOINT_KEYS) if (values.has(key)) provider[key as EndpointKey] = endpointUrl(key, value(key));
      return provider;
    }
    default:
      throw new BrokerError('INTERNAL', `Preset "${preset.id}" has no provider builder.`);
  }
}

/** An https URL (http only for loopback), without query or fragment; trailing slash removed. */
function baseUrl(field: string, raw: string, options: { keepTrailingSlash?: boolean } = {}): string {
  const url = parseUrl(field, raw);
  if (url.search !== '' || url.hash !== '') throw new BrokerError('INVALID_REQUEST', `${field}: must not contain a query or fragment`);
  // URL() adds "/" to an empty path; keep a trailing slash only where the issuer has one (Auth0-style).
  if (options.keepTrailingSlash === true && raw.endsWith('/')) return url.href;
  return url.href.replace(/\/+$/, '');
}

function endpointUrl(field: string, raw: string): string {
  const url = parseUrl(field, raw);
  if (url.hash !== '') throw new BrokerError('INVALID_REQUEST', `${field}: must not contain a fragment`);
  return url.href;
}

function parseUrl(field: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BrokerError('INVALID_REQUEST', `${field}: must be a URL such as https://example.com`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new BrokerError('INVALID_REQUEST', `${field}: must be an https URL (http only for 127.0.0.1/localhost)`);
  }
  if (url.username !== '' || url.password !== '') throw new BrokerError('INVALID_REQUEST', `${field}: must not contain credentials`);
  return url;
}

function host(field: string, raw: string): string {
  const value = raw.replace(/^https:\/\//i, '').replace(/\/+$/, '');
  if (!HOSTNAME.test(value))
    throw new BrokerError('INVALID_REQUEST', `${field}: must be a domain name such as example.okta.com (without https://)`);
  return value.toLowerCase();
}
