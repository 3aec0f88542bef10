/**
 * The checks `account add` / `account edit` run before saving an account: does the provider
 * the account points at exist, is it the one named, and does it offer what the account will ask
 * of it? Catching these at setup turns a puzzling failure at the first sign-in (or the first
 * token request of a script at 3 a.m.) into one message with the fix.
 *
 * Pure: the caller fetches the metadata (discovery) and passes it in. Each problem names the
 * setting concerned (`field`, as in config.json) and, where one is known, the values that would
 * fix it, so the CLI can print the flag and the GUI the form field.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (grant_types_supported, token_endpoint_auth_methods_supported)
 */

import { CLIENT_AUTH_METHODS, CLIENT_AUTH_TRAITS, type ClientAuthMethod } from '../../shared/client-auth.js';
import { GRANTS, GRANT_TRAITS, type Grant } from '../../shared/grants.js';

/** What the check needs of the account. */
export interface CheckedAccount {
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  grant: Grant;
  auth: ClientAuthMethod;
}

/** What the check needs of the provider's metadata (absent: not published). */
export interface CheckedMetadata {
  issuer?: string;
  authorizationEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  grantTypesSupported?: readonly string[];
  tokenEndpointAuthMethodsSupported?: readonly string[];
}

export type ProblemField =
  | 'provider.issuer'
  | 'provider.authorizationEndpoint'
  | 'provider.tokenEndpoint'
  | 'provider.deviceAuthorizationEndpoint'
  | 'grant'
  | 'client.auth';

export interface ProviderProblem {
  code: 'CONFIG_INVALID' | 'UNSUPPORTED_GRANT';
  field: ProblemField;
  /** For people; names the setting in words, never a secret. */
  message: string;
  /** Values of `field` that would fix it, best first (empty when none is known). */
  suggestions: string[];
}

/** 127.0.0.0/8, ::1 and localhost: plain http stays on this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const URL_FIELDS: readonly [keyof CheckedAccount & string, ProblemField, string][] = [
  ['issuer', 'provider.issuer', 'issuer'],
  ['authorizationEndpoint', 'provider.authorizationEndpoint', 'authorization endpoint'],
  ['tokenEndpoint', 'provider.tokenEndpoint', 'token endpoint'],
  ['deviceAuthorizationEndpoint', 'provider.deviceAuthorizationEndpoint', 'device authorization endpoint'],
];

/**
 * Plain-http URLs off this machine: codes, tokens and client secrets would cross the network in
 * cleartext (RFC 6749 §3.1, §3.2 require TLS). Checked without any network access.
 */
export function insecureUrlProblems(account: CheckedAccount): ProviderProblem[] {
  const problems: ProviderProblem[] = [];
  for (const [key, field, words] of URL_FIELDS) {
    const value = account[key];
    if (typeof value !== 'string') continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue; // the account model reports malformed URLs
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      const https = `https://${value.slice('http://'.length)}`;
      problems.push({
        code: 'CONFIG_INVALID',
        field,
        message: `The ${words} ${url.origin} uses plain http off this machine, so tokens and secrets would travel unencrypted; use https (http is only for 127.0.0.1 and localhost).`,
        suggestions: [https],
      });
    }
  }
  return problems;
}

/**
 * Compares the account with what the provider publishes. Only what the provider states is held
 * against the account: a list that is not published is not a refusal (many providers omit
 * `grant_types_supported`; RFC 8414's default of code + implicit is too often wrong to enforce).
 */
export function metadataProblems(account: CheckedAccount, metadata: CheckedMetadata): ProviderProblem[] {
  const problems: ProviderProblem[] = [];
  if (account.issuer !== undefined && metadata.issuer !== undefined && account.issuer !== metadata.issuer) {
    problems.push({
      code: 'CONFIG_INVALID',
      field: 'provider.issuer',
      message: `The provider calls itself ${metadata.issuer}, not ${account.issuer}; the issuer must match it exactly (including a trailing slash).`,
      suggestions: [metadata.issuer],
    });
  }
  const offered = metadata.grantTypesSupported;
  const traits = GRANT_TRAITS[account.grant];
  if (offered !== undefined && !offered.includes(traits.advertisedAs)) {
    const alternatives = GRANTS.filter((g) => offered.includes(GRANT_TRAITS[g].advertisedAs));
    problems.push({
      code: 'UNSUPPORTED_GRANT',
      field: 'grant',
      message: `The provider does not offer the ${account.grant} grant (it offers ${alternatives.length === 0 ? 'none this broker knows' : alternatives.join(', ')}).`,
      suggestions: alternatives,
    });
  }
  if (
    traits.endpoints.includes('authorization') &&
    account.authorizationEndpoint === undefined &&
    metadata.authorizationEndpoint === undefined
  ) {
    problems.push({
      code: 'CONFIG_INVALID',
      field: 'provider.authorizationEndpoint',
      message: `The ${account.grant} grant needs an authorization endpoint, and the provider publishes none.`,
      suggestions: [],
    });
  }
  if (
    traits.endpoints.includes('device_authorization') &&
    account.deviceAuthorizationEndpoint === undefined &&
    metadata.deviceAuthorizationEndpoint === undefined
  ) {
    problems.push({
      code: 'UNSUPPORTED_GRANT',
      field: 'provider.deviceAuthorizationEndpoint',
      message: `The ${account.grant} grant needs a device authorization endpoint, and the provider publishes none.`,
      suggestions: [],
    });
  }
  const methods = metadata.tokenEndpointAuthMethodsSupported;
  const advertisedAuth = CLIENT_AUTH_TRAITS[account.auth].advertisedAs;
  if (methods !== undefined && account.auth !== 'none' && !methods.includes(advertisedAuth)) {
    const alternatives = CLIENT_AUTH_METHODS.filter((a) => a !== 'none' && methods.includes(CLIENT_AUTH_TRAITS[a].advertisedAs));
    problems.push({
      code: 'CONFIG_INVALID',
      field: 'client.auth',
      message: `The provider does not accept ${advertisedAuth} at its token endpoint (it accepts ${methods.join(', ') || 'none listed'}).`,
      suggestions: alternatives,
    });
  }
  return problems;
}
