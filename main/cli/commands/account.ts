/** `token-broker account add|edit|rename|list|show|remove` */
import type { AccountBody, AccountDetailBody } from '../../core/api/wire.js';
import { parse } from '../args.js';
import { callApi } from '../client-http.js';
import { seg } from '../client.js';
import { CliError, EXIT, usageError } from '../exit.js';
import { describeExpiry, table } from '../format.js';
import { readStdin, stripTrailingNewline } from '../stdin.js';
// From the dependency-free shared layer: the account model itself would pull zod into the CLI.
import { DPOP_MODES, IDLE_AFTER_HOURS_LIMITS, isDpopMode, PROACTIVE_REFRESH_MODES, type ProactiveRefresh } from '../../shared/accounts.js';
import { CLIENT_AUTH_METHODS, CLIENT_AUTH_TRAITS, isClientAuthMethod } from '../../shared/client-auth.js';
import { GRANT_TRAITS, GRANTS, isGrant } from '../../shared/grants.js';
import { isKubernetesTokenType, KUBERNETES_TOKEN_TYPES, normalizeRegistryHost } from '../../shared/consumers.js';

type AccountRow = AccountBody;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return add(rest);
    case 'list':
      return list(rest);
    case 'edit':
      return edit(rest);
    case 'rename':
      return rename(rest);
    case 'remove':
      return remove(rest);
    case 'show':
      return show(rest);
    default: {
      if (sub === undefined) throw usageError('Missing the subcommand (add, edit, rename, list, show or remove).', 'account');
      const [{ unknownCommandMessage }, { subcommandsOf }] = await Promise.all([import('../messages.js'), import('../command-table.js')]);
      throw usageError(unknownCommandMessage(sub, subcommandsOf('account'), 'account'), 'account');
    }
  }
}

/** The options `account add` and `account edit` share (main/cli/command-table.ts lists them too). */
const ACCOUNT_OPTIONS = {
  issuer: { type: 'string' },
  'authorization-endpoint': { type: 'string' },
  'token-endpoint': { type: 'string' },
  'device-authorization-endpoint': { type: 'string' },
  'revocation-endpoint': { type: 'string' },
  'userinfo-endpoint': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-stdin': { type: 'boolean', default: false },
  auth: { type: 'string' },
  'key-id': { type: 'string' },
  grant: { type: 'string' },
  scope: { type: 'string' },
  'redirect-uri': { type: 'string' },
  'allow-legacy': { type: 'boolean', default: false },
  approval: { type: 'string' },
  'git-host': { type: 'string', multiple: true },
  'git-username': { type: 'string' },
  registry: { type: 'string', multiple: true },
  'registry-username': { type: 'string' },
  'kubernetes-token-type': { type: 'string' },
  param: { type: 'string', multiple: true },
  dpop: { type: 'string' },
  'exchange-audience': { type: 'string', multiple: true },
  'no-check': { type: 'boolean', default: false },
  refresh: { type: 'string' },
  'idle-after': { type: 'string' },
} as const;

/** Where each provider flag goes in the account's `provider`. */
const ENDPOINT_FLAGS = [
  ['issuer', 'issuer'],
  ['authorization-endpoint', 'authorizationEndpoint'],
  ['token-endpoint', 'tokenEndpoint'],
  ['device-authorization-endpoint', 'deviceAuthorizationEndpoint'],
  ['revocation-endpoint', 'revocationEndpoint'],
  ['userinfo-endpoint', 'userinfoEndpoint'],
] as const;

type AccountFlags = ReturnType<typeof parseAccountFlags>['values'];

function parseAccountFlags(cmd: string, args: string[]) {
  return parse(cmd, args, ACCOUNT_OPTIONS, { min: 1, max: 1, names: 'the account NAME' });
}

/** The account as the API takes it (AccountInput's JSON shape, checked by the broker). */
interface AccountJson {
  name: string;
  provider: Record<string, unknown>;
  client: { id: string; auth: string; keyId?: string };
  grant: string;
  scopes: string[];
  redirectUri?: string;
  allowLegacy: boolean;
  approval: string;
  git?: { hosts: string[]; username?: string };
  registry?: { hosts: string[]; username?: string };
  kubernetes?: { tokenType: string };
  [other: string]: unknown;
}

function splitScopes(value: string): string[] {
  return value.split(/\s+/).filter((s) => s !== '');
}

/** Checks what can be checked without the broker: grant, auth, approval, and the secret's presence on the command line. */
function checkFlags(cmd: string, account: AccountJson, v: AccountFlags, secretHeld: boolean): void {
  const grant = account.grant;
  if (!isGrant(grant)) throw usageError(`--grant must be one of ${GRANTS.join(', ')}.`, cmd);
  // Refused here, before the broker or the provider hears of it (OAuth 2.0 Security BCP §2.4).
  if (GRANT_TRAITS[grant].legacy && !account.allowLegacy) {
    throw usageError(`The ${grant} grant is a legacy grant; add --allow-legacy if you really need it.`, cmd);
  }
  const auth = account.client.auth;
  if (!isClientAuthMethod(auth)) throw usageError(`--auth must be one of ${CLIENT_AUTH_METHODS.join(', ')}.`, cmd);
  const secretKind = CLIENT_AUTH_TRAITS[auth].secret;
  if (secretKind !== undefined && !v['client-secret-stdin'] && !secretHeld) {
    throw usageError(`--auth ${auth} needs --client-secret-stdin (the ${secretKind.noun} on stdin).`, cmd);
  }
  if (secretKind === undefined && v['client-secret-stdin'])
    throw usageError(`--auth ${auth} takes no secret; drop --client-secret-stdin.`, cmd);
  if (account.client.keyId !== undefined && auth !== 'private_key_jwt') throw usageError('--key-id goes with --auth private_key_jwt.', cmd);
  if (account.approval !== 'auto' && account.approval !== 'ask') throw usageError('--approval must be auto or ask.', cmd);
  if (account.dpop !== undefined && !isDpopMode(account.dpop)) throw usageError(`--dpop must be one of ${DPOP_MODES.join(', ')}.`, cmd);
  // Registry hosts are checked here so a typo fails before the broker hears of it (the model checks them again).
  for (const host of account.registry?.hosts ?? []) {
    if (normalizeRegistryHost(host) === undefined) {
      throw usageError(`--registry takes a registry host such as ghcr.io or 127.0.0.1:5000, not '${host.slice(0, 100)}'.`, cmd);
    }
  }
  if (account.kubernetes !== undefined && !isKubernetesTokenType(account.kubernetes.tokenType)) {
    throw usageError(`--kubernetes-token-type must be ${KUBERNETES_TOKEN_TYPES.join(' or ')}.`, cmd);
  }
}

/** `--exchange-audience` values as the account's `tokenExchange` (none left = no token exchange). */
function tokenExchangeOf(audiences: string[]): { tokenExchange?: { audiences: string[] } } {
  const kept = audiences.filter((audience) => audience !== '');
  return kept.length === 0 ? {} : { tokenExchange: { audiences: kept } };
}

/**
 * `--registry HOST` (repeatable; with `edit`, replaces the list and `''` clears it) and
 * `--registry-username U` (`''` for the default): the hosts docker-credential-token-broker
 * answers with this account. Undefined when the account has none.
 */
function applyRegistry(current: AccountJson['registry'], v: AccountFlags, cmd: string): AccountJson['registry'] {
  if (v.registry === undefined && v['registry-username'] === undefined) return current;
  const hosts = v.registry === undefined ? (current?.hosts ?? []) : v.registry.filter((h) => h !== '');
  const username =
    v['registry-username'] === undefined ? current?.username : v['registry-username'] === '' ? undefined : v['registry-username'];
  if (hosts.length === 0) {
    if (v['registry-username'] !== undefined && v['registry-username'] !== '')
      throw usageError('--registry-username goes with --registry HOST.', cmd);
    return undefined;
  }
  return { hosts, ...(username === undefined ? {} : { username }) };
}

/** `--kubernetes-token-type T` (`''` for the preset's choice). */
function applyKubernetes(current: AccountJson['kubernetes'], v: AccountFlags): AccountJson['kubernetes'] {
  const tokenType = v['kubernetes-token-type'];
  if (tokenType === undefined) return current;
  return tokenType === '' ? undefined : { tokenType };
}

/** The secret from stdin, keyed as the API's `secrets` takes it; empty without --client-secret-stdin. */
async function readSecrets(cmd: string, auth: string, v: AccountFlags): Promise<Record<string, string>> {
  const secretKind = isClientAuthMethod(auth) ? CLIENT_AUTH_TRAITS[auth].secret : undefined;
  if (secretKind === undefined || !v['client-secret-stdin']) return {};
  const secret = stripTrailingNewline(await readStdin());
  if (secret === '') throw usageError('stdin was empty; pipe the secret in.', cmd);
  return { [secretKind.field]: secret };
}

/**
 * Sends an add or an edit and phrases what the broker refused in the CLI's terms: config paths
 * become the flags that set them, and a provider that cannot be asked gets the `--no-check` way out.
 */
async function sendAccount<T>(method: 'POST' | 'PUT', path: string, name: string, body: unknown, cmd: string): Promise<T> {
  try {
    return await callApi<T>(method, path, { body, client: `token-broker ${cmd}`, account: name });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    const { accountErrorForCli } = await import('../messages.js');
    throw accountErrorForCli(error, cmd);
  }
}

async function add(args: string[]): Promise<number> {
  const cmd = 'account add';
  const { values: v, positionals } = parseAccountFlags(cmd, args);
  const name = positionals[0] as string;
  if (v.grant === undefined) throw usageError(`--grant is required (${GRANTS.join(', ')}).`, cmd);
  if (v['client-id'] === undefined) throw usageError('--client-id is required.', cmd);
  if (v.issuer === undefined && v['token-endpoint'] === undefined) {
    throw usageError('Give --issuer URL, or --authorization-endpoint URL and --token-endpoint URL.', cmd);
  }
  const refresh = parseRefresh(v.refresh, v['idle-after'], cmd);
  const provider: Record<string, unknown> = {};
  for (const [flag, key] of ENDPOINT_FLAGS) if (v[flag] !== undefined && v[flag] !== '') provider[key] = v[flag];
  const extraParams = applyExtraParams(undefined, v.param ?? [], cmd);
  if (extraParams !== undefined) provider.extraParams = extraParams;
  const gitHosts = (v['git-host'] ?? []).filter((h) => h !== '');
  const auth = v.auth ?? (v['client-secret-stdin'] ? 'basic' : 'none');
  const account: AccountJson = {
    name,
    provider,
    client: { id: v['client-id'], auth, ...(v['key-id'] === undefined ? {} : { keyId: v['key-id'] }) },
    grant: v.grant,
    scopes: splitScopes(v.scope ?? ''),
    ...(v['redirect-uri'] === undefined ? {} : { redirectUri: v['redirect-uri'] }),
    allowLegacy: v['allow-legacy'],
    approval: v.approval ?? 'auto',
    ...(v.dpop === undefined ? {} : { dpop: v.dpop }),
    ...tokenExchangeOf(v['exchange-audience'] ?? []),
    ...(gitHosts.length > 0 || v['git-username'] !== undefined
      ? { git: { hosts: gitHosts, ...(v['git-username'] === undefined ? {} : { username: v['git-username'] }) } }
      : {}),
    ...(refresh === undefined ? {} : { refresh }),
  };
  const registry = applyRegistry(undefined, v, cmd);
  if (registry !== undefined) account.registry = registry;
  const kubernetes = applyKubernetes(undefined, v);
  if (kubernetes !== undefined) account.kubernetes = kubernetes;
  checkFlags(cmd, account, v, false);
  const secrets = await readSecrets(cmd, auth, v);
  const created = await sendAccount<AccountRow>('POST', '/v1/accounts', name, { account, secrets, check: !v['no-check'] }, cmd);
  const next =
    GRANT_TRAITS[created.grant as keyof typeof GRANT_TRAITS]?.needsPerson === false
      ? `token-broker token ${name}`
      : `token-broker login ${name}`;
  process.stderr.write(`Added account ${name} (${created.grant}). Next: ${next}\n`);
  return EXIT.ok;
}

/** Fields whose change means other tokens, another provider or another client: asked of the provider. */
function providerChanged(before: AccountJson, after: AccountJson): boolean {
  return (
    JSON.stringify({ ...before.provider, extraParams: undefined }) !== JSON.stringify({ ...after.provider, extraParams: undefined }) ||
    before.client.auth !== after.client.auth ||
    before.grant !== after.grant
  );
}

/** The client secret goes only where it was entered for (the broker enforces it; this says how early). */
function secretDestinationChanged(before: AccountJson, after: AccountJson): boolean {
  const keys = ['issuer', 'tokenEndpoint', 'deviceAuthorizationEndpoint', 'revocationEndpoint', 'userinfoEndpoint'];
  return keys.some((key) => before.provider[key] !== after.provider[key]) || before.client.id !== after.client.id;
}

/**
 * `account edit NAME [flags]`: the flags of `add`, each changing only its own setting; an empty
 * value (`--redirect-uri ''`, `--git-host ''`) removes an optional one, `--param KEY=` one parameter.
 */
async function edit(args: string[]): Promise<number> {
  const cmd = 'account edit';
  const { values: v, positionals } = parseAccountFlags(cmd, args);
  const name = positionals[0] as string;
  const detail = await callApi<AccountDetailBody>('GET', `/v1/accounts/${seg(name)}`, { client: `token-broker ${cmd}`, account: name });
  const before = detail.config as unknown as AccountJson;
  const after: AccountJson = structuredClone(before);
  for (const [flag, key] of ENDPOINT_FLAGS) {
    const value = v[flag];
    if (value === undefined) continue;
    if (value === '') delete after.provider[key];
    else after.provider[key] = value;
  }
  if (v.param !== undefined) {
    const extraParams = applyExtraParams(after.provider.extraParams as Record<string, string> | undefined, v.param, cmd);
    if (extraParams === undefined) delete after.provider.extraParams;
    else after.provider.extraParams = extraParams;
  }
  if (v['client-id'] !== undefined) after.client.id = v['client-id'];
  if (v.auth !== undefined) after.client.auth = v.auth;
  if (v['key-id'] !== undefined) {
    if (v['key-id'] === '') delete after.client.keyId;
    else after.client.keyId = v['key-id'];
  } else if (v.auth !== undefined && v.auth !== 'private_key_jwt') delete after.client.keyId;
  if (v.grant !== undefined) after.grant = v.grant;
  if (v.scope !== undefined) after.scopes = splitScopes(v.scope);
  if (v['redirect-uri'] !== undefined) {
    if (v['redirect-uri'] === '') delete after.redirectUri;
    else after.redirectUri = v['redirect-uri'];
  }
  if (v['allow-legacy']) after.allowLegacy = true;
  if (v.approval !== undefined) after.approval = v.approval;
  if (v.dpop !== undefined) after.dpop = v.dpop;
  if (v['exchange-audience'] !== undefined) {
    delete after.tokenExchange;
    Object.assign(after, tokenExchangeOf(v['exchange-audience']));
  }
  if (v.refresh !== undefined || v['idle-after'] !== undefined) {
    const current = after.refresh as { proactive?: string; idleAfterHours?: number } | undefined;
    const mode = v.refresh ?? current?.proactive ?? 'auto';
    // --idle-after '' returns to the default; a mode other than auto has no idle time.
    const kept = mode === 'auto' && current?.idleAfterHours !== undefined ? String(current.idleAfterHours) : undefined;
    const idleAfter = v['idle-after'] === undefined ? kept : v['idle-after'] === '' ? undefined : v['idle-after'];
    const refresh = parseRefresh(mode, idleAfter, cmd);
    if (refresh === undefined || (refresh.proactive === 'auto' && refresh.idleAfterHours === undefined)) delete after.refresh;
    else after.refresh = refresh;
  }
  if (v['git-host'] !== undefined || v['git-username'] !== undefined) {
    const hosts = v['git-host'] === undefined ? (after.git?.hosts ?? []) : v['git-host'].filter((h) => h !== '');
    const username = v['git-username'] === undefined ? after.git?.username : v['git-username'] === '' ? undefined : v['git-username'];
    // Without hosts the username has nothing to go with.
    if (hosts.length === 0) delete after.git;
    else after.git = { hosts, ...(username === undefined ? {} : { username }) };
  }
  const registry = applyRegistry(after.registry, v, cmd);
  if (registry === undefined) delete after.registry;
  else after.registry = registry;
  const kubernetes = applyKubernetes(after.kubernetes, v);
  if (kubernetes === undefined) delete after.kubernetes;
  else after.kubernetes = kubernetes;
  const held = after.client.auth === 'private_key_jwt' ? detail.secrets.private_key : detail.secrets.client_secret;
  const needed = isClientAuthMethod(after.client.auth) ? CLIENT_AUTH_TRAITS[after.client.auth].secret : undefined;
  if (needed !== undefined && held && !v['client-secret-stdin'] && secretDestinationChanged(before, after)) {
    throw usageError(
      `Changing the issuer, an endpoint or the client id of ${name} needs the ${needed.noun} again (the stored one is only sent where it was entered for): ` +
        `add --client-secret-stdin with the ${needed.noun} on stdin.`,
      cmd,
    );
  }
  checkFlags(cmd, after, v, held && before.client.auth === after.client.auth);
  const secrets = await readSecrets(cmd, after.client.auth, v);
  if (JSON.stringify(before) === JSON.stringify(after) && Object.keys(secrets).length === 0) {
    process.stderr.write(`Nothing to change in ${name}: give the flags to change (see 'token-broker account edit --help').\n`);
    return EXIT.ok;
  }
  const check = !v['no-check'] && providerChanged(before, after);
  await sendAccount<AccountRow>('PUT', `/v1/accounts/${seg(name)}`, name, { account: after, secrets, check }, cmd);
  const what = Object.keys(secrets).length > 0 && JSON.stringify(before) === JSON.stringify(after) ? 'Stored the new secret of' : 'Updated';
  // As the broker decides (tokens issued under one provider, client or grant mean nothing under another).
  const forgotten =
    JSON.stringify(before.provider) !== JSON.stringify(after.provider) ||
    before.client.id !== after.client.id ||
    before.client.auth !== after.client.auth ||
    before.grant !== after.grant ||
    before.dpop !== after.dpop;
  const next = GRANT_TRAITS[after.grant as keyof typeof GRANT_TRAITS]?.needsPerson === false ? 'token' : 'login';
  process.stderr.write(
    `${what} account ${name}.${forgotten ? ` Its tokens were revoked and forgotten; next: token-broker ${next} ${name}` : ''}\n`,
  );
  return EXIT.ok;
}

/** `account rename OLD NEW`: the same account, secrets and tokens under another name. */
async function rename(args: string[]): Promise<number> {
  const cmd = 'account rename';
  const { positionals } = parse(cmd, args, {}, { min: 2, max: 2, names: 'the account names OLD and NEW' });
  const [from, to] = positionals as [string, string];
  if (from === to) {
    process.stderr.write(`${from} already has that name.\n`);
    return EXIT.ok;
  }
  try {
    await callApi<AccountRow>('POST', `/v1/accounts/${seg(from)}/rename`, {
      body: { name: to },
      client: `token-broker ${cmd}`,
      account: from,
    });
  } catch (error) {
    // "already exists" is about the new name; "no account" about the old one.
    if (error instanceof CliError && error.code === 'ACCOUNT_EXISTS') {
      throw new CliError(error.message, error.exitCode, error.code, { ...error.context, account: to });
    }
    throw error;
  }
  process.stderr.write(`Renamed account ${from} to ${to}; its tokens stay. Scripts and kubeconfigs that name ${from} need ${to} now.\n`);
  return EXIT.ok;
}

/**
 * `--refresh auto|always|never` and `--idle-after HOURS` (issue 15): when the broker refreshes
 * the account's token before it expires. Undefined when neither is given (the default, auto).
 */
function parseRefresh(
  mode: string | undefined,
  idleAfter: string | undefined,
  cmd: string,
): { proactive: ProactiveRefresh; idleAfterHours?: number } | undefined {
  if (mode === undefined && idleAfter === undefined) return undefined;
  const proactive = mode ?? 'auto';
  if (!(PROACTIVE_REFRESH_MODES as readonly string[]).includes(proactive)) {
    throw usageError(`--refresh must be one of ${PROACTIVE_REFRESH_MODES.join(', ')}.`, cmd);
  }
  if (idleAfter === undefined) return { proactive: proactive as ProactiveRefresh };
  const hours = Number(idleAfter);
  if (!/^\d+(\.\d+)?$/.test(idleAfter) || hours < IDLE_AFTER_HOURS_LIMITS.min || hours > IDLE_AFTER_HOURS_LIMITS.max) {
    throw usageError(`--idle-after must be a number of hours between 1/60 and ${IDLE_AFTER_HOURS_LIMITS.max}.`, cmd);
  }
  if (proactive !== 'auto') throw usageError('--idle-after goes with --refresh auto (the default).', cmd);
  return { proactive: 'auto', idleAfterHours: hours };
}

/**
 * `--param KEY=VALUE` (repeatable): extra authorization request parameters such as Google's
 * `access_type=offline` or Auth0's `audience`, on top of `current` (edit); `KEY=` drops one. Which
 * names are allowed is the broker's call (the account model refuses protocol parameters); here
 * only the shape is checked.
 */
function applyExtraParams(current: Record<string, string> | undefined, pairs: string[], cmd: string): Record<string, string> | undefined {
  if (pairs.length === 0) return current;
  const params: Record<string, string> = { ...current };
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--param takes KEY=VALUE, got '${pair.slice(0, 64)}'.`, cmd);
    const value = pair.slice(at + 1);
    if (value === '') delete params[pair.slice(0, at)];
    else params[pair.slice(0, at)] = value;
  }
  return Object.keys(params).length === 0 ? undefined : params;
}

async function list(args: string[]): Promise<number> {
  const { values } = parse('account list', args, { json: { type: 'boolean', default: false } }, { min: 0, max: 0, names: '' });
  const accounts = await callApi<AccountRow[]>('GET', '/v1/accounts', { client: 'token-broker account list' });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(accounts, null, 2)}\n`);
    return EXIT.ok;
  }
  if (accounts.length === 0) {
    process.stderr.write("No accounts yet. Add one with 'token-broker account add NAME ...'.\n");
    return EXIT.ok;
  }
  const now = Math.floor(Date.now() / 1000);
  const rows = [['NAME', 'GRANT', 'STATUS', 'EXPIRES', 'SCOPES']];
  for (const a of accounts) {
    // An idle account's token is left to expire: say why, and that the next use renews it.
    const expires = describeExpiry(a.expires_at, now) + (a.refresh === 'idle' ? ' (idle, refreshes on next use)' : '');
    rows.push([a.name, a.grant, a.status, expires, a.scopes.join(' ')]);
  }
  process.stdout.write(table(rows));
  const missing = accounts.filter((a) => a.status === 'needs_secret');
  if (missing.length > 0) {
    const { needsSecretHint } = await import('../messages.js');
    for (const a of missing) process.stderr.write(`${needsSecretHint(a.name)}\n`);
  }
  return EXIT.ok;
}

async function remove(args: string[]): Promise<number> {
  const { positionals } = parse('account remove', args, {}, { min: 1, max: 1, names: 'the account NAME' });
  const name = positionals[0] as string;
  await callApi('DELETE', `/v1/accounts/${seg(name)}`, { client: 'token-broker account remove' });
  process.stderr.write(`Removed account ${name}.\n`);
  return EXIT.ok;
}

/** `account show NAME [--json]`: the full non-secret configuration, and which secrets are held. */
async function show(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    'account show',
    args,
    { json: { type: 'boolean', default: false } },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const name = positionals[0] as string;
  const detail = await callApi<AccountDetailBody>('GET', `/v1/accounts/${seg(name)}`, {
    client: 'token-broker account show',
    account: name,
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ config: detail.config, secrets: detail.secrets }, null, 2)}\n`);
    return EXIT.ok;
  }
  const { formatAccountShow } = await import('../report.js');
  process.stdout.write(formatAccountShow(detail.config as unknown as Record<string, unknown>, detail.secrets));
  return EXIT.ok;
}
