/**
 * Turning untrusted input (config.json, the CLI, the IPC form, the API) into validated account
 * records, with messages that point at the offending field.
 */
import { GRANT_TRAITS, type GrantEndpoint } from '../../shared/grants.js';
import { BrokerError, type ErrorCode } from '../errors.js';
import { formatIssues, formatPath, invalidInput } from '../issues.js';
import { findJsonErrorPosition } from './json-position.js';
import { accountSchema, configSchema, type AccountConfig, type BrokerConfig } from './model.js';

/** Where an account names each endpoint a grant needs; the token endpoint is checked by the schema. */
const ENDPOINT_FIELDS: Record<GrantEndpoint, { key: 'authorizationEndpoint' | 'deviceAuthorizationEndpoint' | undefined; name: string }> = {
  authorization: { key: 'authorizationEndpoint', name: 'an authorization endpoint' },
  device_authorization: { key: 'deviceAuthorizationEndpoint', name: 'a device authorization endpoint' },
  token: { key: undefined, name: 'a token endpoint' },
};

/**
 * Rules that one field alone cannot express. Returns `path: message` lines (empty when fine).
 * `at` is the path prefix of the account inside its container (e.g. `['accounts', 2]`).
 */
export function accountRuleViolations(account: AccountConfig, at: PropertyKey[] = []): string[] {
  const problems: string[] = [];
  const field = (...rest: PropertyKey[]) => formatPath([...at, ...rest]);
  const traits = GRANT_TRAITS[account.grant];
  if (traits.needsClientAuth && account.client.auth === 'none') {
    problems.push(
      `${field('client', 'auth')}: the ${account.grant} grant needs client authentication (basic, post or private_key_jwt), not "none"`,
    );
  }
  // The token endpoint is the provider schema's own rule (issuer or tokenEndpoint, always).
  for (const endpoint of traits.endpoints) {
    const { key, name } = ENDPOINT_FIELDS[endpoint];
    if (key !== undefined && account.provider.issuer === undefined && account.provider[key] === undefined) {
      problems.push(`${field('provider', key)}: the ${account.grant} grant needs ${name} (or an issuer to discover it)`);
    }
  }
  if (account.dpop === 'on' && !traits.senderConstrainable) {
    problems.push(
      `${field('dpop')}: the ${account.grant} grant cannot bind tokens to a key (RFC 9449 has no implicit flow); use auto or off`,
    );
  }
  if (account.redirectUri !== undefined && !isLoopbackHttpUri(account.redirectUri)) {
    problems.push(`${field('redirectUri')}: must be a loopback http URI such as http://127.0.0.1/callback (RFC 8252 §7.3)`);
  }
  return problems;
}

/**
 * Validates one account (from the CLI, the form or the API) and fills in the defaults.
 * @throws BrokerError (`INVALID_REQUEST` by default) whose message lists every bad field.
 */
export function validateAccountInput(input: unknown, code: ErrorCode = 'INVALID_REQUEST'): AccountConfig {
  const parsed = accountSchema.safeParse(input);
  if (!parsed.success) throw invalidInput(code, 'Invalid account', formatIssues(parsed.error.issues));
  const problems = accountRuleViolations(parsed.data);
  if (problems.length > 0) throw invalidInput(code, 'Invalid account', problems);
  return parsed.data;
}

/** Parses and validates config.json text; `source` names the file in messages. */
export function parseConfigText(text: string, source: string): BrokerConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const at = findJsonErrorPosition(text);
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.column}`;
    throw new BrokerError('CONFIG_INVALID', `${source} is not valid JSON${where}. Fix the file (it was left unchanged).`, { cause: error });
  }
  return validateConfig(value, source);
}

/**
 * Validates a whole config (as parsed from config.json) and fills in the defaults.
 * @throws BrokerError `CONFIG_INVALID` naming every bad field, including duplicate account names.
 */
export function validateConfig(input: unknown, source = 'config'): BrokerConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw invalidInput('CONFIG_INVALID', `Invalid ${source}`, formatIssues(parsed.error.issues));
  const problems: string[] = [];
  const seen = new Map<string, number>();
  parsed.data.accounts.forEach((account, index) => {
    const first = seen.get(account.name);
    if (first !== undefined) problems.push(`accounts[${index}].name: duplicate account name "${account.name}" (also accounts[${first}])`);
    else seen.set(account.name, index);
    problems.push(...accountRuleViolations(account, ['accounts', index]));
  });
  parsed.data.proxies.forEach((proxy, index) => {
    if (!seen.has(proxy.account)) problems.push(`proxies[${index}].account: no account named "${proxy.account}"`);
  });
  if (problems.length > 0) throw invalidInput('CONFIG_INVALID', `Invalid ${source}`, problems);
  return parsed.data;
}

/**
 * RFC 8252 §7.3 loopback redirect: http on 127.0.0.1 or localhost (§8.3 discourages localhost but
 * providers use it). Not [::1]: the listener binds 127.0.0.1 only (docs/security.md), so an IPv6 redirect
 * would be accepted here and then fail at sign-in.
 */
export function isLoopbackHttpUri(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost') && url.hash === '';
}
