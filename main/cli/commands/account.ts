/** `token-broker account add|list|remove` */
import type { AccountBody } from '../../core/api/wire.js';
import { parse } from '../args.js';
import { callApi } from '../client-http.js';
import { seg } from '../client.js';
import { EXIT, usageError } from '../exit.js';
import { describeExpiry, table } from '../format.js';
import { readStdin, stripTrailingNewline } from '../stdin.js';
// From the dependency-free shared layer: the account model itself would pull zod into the CLI.
import { IDLE_AFTER_HOURS_LIMITS, PROACTIVE_REFRESH_MODES, type ProactiveRefresh } from '../../shared/accounts.js';
import { CLIENT_AUTH_METHODS, CLIENT_AUTH_TRAITS, isClientAuthMethod } from '../../shared/client-auth.js';
import { GRANT_TRAITS, GRANTS, isGrant } from '../../shared/grants.js';

type AccountRow = AccountBody;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return add(rest);
    case 'list':
      return list(rest);
    case 'remove':
      return remove(rest);
    default:
      throw usageError(
        sub === undefined ? 'Missing the subcommand (add, list or remove).' : `Unknown subcommand 'account ${sub}'.`,
        'account',
      );
  }
}

async function add(args: string[]): Promise<number> {
  const cmd = 'account add';
  const { values: v, positionals } = parse(
    cmd,
    args,
    {
      issuer: { type: 'string' },
      'authorization-endpoint': { type: 'string' },
      'token-endpoint': { type: 'string' },
      'device-authorization-endpoint': { type: 'string' },
      'revocation-endpoint': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-stdin': { type: 'boolean', default: false },
      auth: { type: 'string' },
      'key-id': { type: 'string' },
      grant: { type: 'string' },
      scope: { type: 'string' },
      'redirect-uri': { type: 'string' },
      'allow-legacy': { type: 'boolean', default: false },
      approval: { type: 'string', default: 'auto' },
      'git-host': { type: 'string', multiple: true },
      'git-username': { type: 'string' },
      param: { type: 'string', multiple: true },
      refresh: { type: 'string' },
      'idle-after': { type: 'string' },
    },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const name = positionals[0] as string;
  const grant = v.grant;
  if (grant === undefined) throw usageError(`--grant is required (${GRANTS.join(', ')}).`, cmd);
  if (!isGrant(grant)) throw usageError(`--grant must be one of ${GRANTS.join(', ')}.`, cmd);
  // Refused here, before the broker or the provider hears of it (OAuth 2.0 Security BCP §2.4).
  if (GRANT_TRAITS[grant].legacy && !v['allow-legacy']) {
    throw usageError(`The ${grant} grant is a legacy grant; add --allow-legacy if you really need it.`, cmd);
  }
  if (v['client-id'] === undefined) throw usageError('--client-id is required.', cmd);
  if (v.issuer === undefined && v['token-endpoint'] === undefined) {
    throw usageError('Give --issuer URL, or --authorization-endpoint URL and --token-endpoint URL.', cmd);
  }
  const auth = v.auth ?? (v['client-secret-stdin'] ? 'basic' : 'none');
  if (!isClientAuthMethod(auth)) throw usageError(`--auth must be one of ${CLIENT_AUTH_METHODS.join(', ')}.`, cmd);
  const secretKind = CLIENT_AUTH_TRAITS[auth].secret;
  if (secretKind !== undefined && !v['client-secret-stdin']) {
    throw usageError(`--auth ${auth} needs --client-secret-stdin (the ${secretKind.noun} on stdin).`, cmd);
  }
  if (secretKind === undefined && v['client-secret-stdin'])
    throw usageError(`--auth ${auth} takes no secret; drop --client-secret-stdin.`, cmd);
  if (v['key-id'] !== undefined && auth !== 'private_key_jwt') throw usageError('--key-id goes with --auth private_key_jwt.', cmd);
  if (v.approval !== 'auto' && v.approval !== 'ask') throw usageError('--approval must be auto or ask.', cmd);
  const refresh = parseRefresh(v.refresh, v['idle-after'], cmd);

  const secrets: Record<string, string> = {};
  if (secretKind !== undefined) {
    const secret = stripTrailingNewline(await readStdin());
    if (secret === '') throw usageError('stdin was empty; pipe the secret in.', cmd);
    secrets[secretKind.field] = secret;
  }
  const provider: Record<string, unknown> = Object.fromEntries(
    [
      ['issuer', v.issuer],
      ['authorizationEndpoint', v['authorization-endpoint']],
      ['tokenEndpoint', v['token-endpoint']],
      ['deviceAuthorizationEndpoint', v['device-authorization-endpoint']],
      ['revocationEndpoint', v['revocation-endpoint']],
    ].filter(([, value]) => value !== undefined),
  );
  const extraParams = parseExtraParams(v.param ?? [], cmd);
  if (extraParams !== undefined) provider.extraParams = extraParams;
  const gitHosts = v['git-host'] ?? [];
  const account = {
    name,
    provider,
    client: { id: v['client-id'], auth, ...(v['key-id'] === undefined ? {} : { keyId: v['key-id'] }) },
    grant,
    scopes: (v.scope ?? '').split(/\s+/).filter((s) => s !== ''),
    ...(v['redirect-uri'] === undefined ? {} : { redirectUri: v['redirect-uri'] }),
    allowLegacy: v['allow-legacy'],
    approval: v.approval,
    ...(gitHosts.length > 0 || v['git-username'] !== undefined
      ? { git: { hosts: gitHosts, ...(v['git-username'] === undefined ? {} : { username: v['git-username'] }) } }
      : {}),
    ...(refresh === undefined ? {} : { refresh }),
  };
  const created = await callApi<AccountRow>('POST', '/v1/accounts', { body: { account, secrets }, client: 'token-broker account add' });
  const next = GRANT_TRAITS[grant].needsPerson ? `token-broker login ${name}` : `token-broker token ${name}`;
  process.stderr.write(`Added account ${name} (${created.grant}). Next: ${next}\n`);
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
 * `access_type=offline` or Auth0's `audience`. Which names are allowed is the broker's call
 * (the account model refuses protocol parameters); here only the shape is checked.
 */
function parseExtraParams(pairs: string[], cmd: string): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--param takes KEY=VALUE, got '${pair.slice(0, 64)}'.`, cmd);
    params[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return params;
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
  return EXIT.ok;
}

async function remove(args: string[]): Promise<number> {
  const { positionals } = parse('account remove', args, {}, { min: 1, max: 1, names: 'the account NAME' });
  const name = positionals[0] as string;
  await callApi('DELETE', `/v1/accounts/${seg(name)}`, { client: 'token-broker account remove' });
  process.stderr.write(`Removed account ${name}.\n`);
  return EXIT.ok;
}
