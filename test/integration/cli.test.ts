/**
 * The whole product through its CLI: a real `token-broker serve` child process on a temp data
 * directory in the real keyring, accounts added against the oidc-provider fixture with
 * `account add`, every grant signed in with `login --no-browser`, tokens fetched in every
 * format and through exec, kubectl and git, sign-out revoking at the provider, and a restart.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAuthServer } from '../support/fixtures.js';
import { call } from '../core/api/support/http.js';
import { cliPath, runCli, startCli, useSandbox, useServe } from './support/cli.js';
import { loginImplicit, loginWithBrowser, loginWithDeviceCode, URL_LINE } from './support/login-flow.js';

const server = useAuthServer();
const sandbox = useSandbox();
const broker = useServe(sandbox);

const cli = (args: string[], stdin?: string) => runCli(args, sandbox.env, stdin);
const api = (method: string, path: string) => call({ socketPath: sandbox.socketPath }, method, path);

async function add(name: string, flags: string[], stdin?: string): Promise<void> {
  const result = await cli(['account', 'add', name, ...flags], stdin);
  expect(result.stderr).toContain(`Added account ${name}`);
  expect(result.code).toBe(0);
}

async function token(name: string, ...flags: string[]): Promise<string> {
  const result = await cli(['token', name, ...flags]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

describe('token-broker CLI against a real broker and provider', () => {
  it('serve logs where it listens; client commands say when no broker runs', async () => {
    expect(broker.stderr()).toContain(`[serve] listening on ${sandbox.socketPath}`);
    const other = await runCli(['token', 'x'], { ...sandbox.env, TOKEN_BROKER_SOCKET: `${sandbox.dir}/nothing.sock` });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('no broker is running');
    expect(other.stderr).toContain('token-broker serve');
  });

  it('client credentials with client_secret_basic, in every token format', async () => {
    const { clientId, clientSecret } = server.clients.basic;
    await add(
      'cc',
      ['--issuer', server.issuer, '--client-id', clientId, '--client-secret-stdin', '--grant', 'client_credentials', '--scope', 'api read'],
      `${clientSecret}\n`,
    );
    const raw = (await token('cc')).trim();
    expect((await server.introspect(raw)).active).toBe(true);

    const json = JSON.parse(await token('cc', '--format', 'json')) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['access_token', 'expires_at', 'expires_in', 'scope', 'token_type']);
    expect(json.access_token).toBe(raw);
    expect(json.expires_in).toBeGreaterThan(3500);
    expect(await token('cc', '--format', 'header')).toBe(`Authorization: Bearer ${raw}\n`);
    expect(await token('cc', '--format', 'env')).toMatch(
      new RegExp(
        `^export ACCESS_TOKEN=${raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\nexport TOKEN_TYPE=Bearer\nexport TOKEN_BROKER_EXPIRES_AT=\\d+\n$`,
      ),
    );
    expect((await cli(['token', 'cc', '--format', 'yaml'])).code).toBe(2);
  });

  it('client credentials with client_secret_post and private_key_jwt', async () => {
    await add(
      'post',
      [
        '--issuer',
        server.issuer,
        '--client-id',
        server.clients.post.clientId,
        '--client-secret-stdin',
        '--auth',
        'post',
        '--grant',
        'client_credentials',
      ],
      server.clients.post.clientSecret,
    );
    expect((await server.introspect((await token('post')).trim())).active).toBe(true);
    const { clientId, privateKeyPem, keyId } = server.clients.jwt;
    await add(
      'jwt',
      [
        '--issuer',
        server.issuer,
        '--client-id',
        clientId,
        '--auth',
        'private_key_jwt',
        '--key-id',
        keyId,
        '--client-secret-stdin',
        '--grant',
        'client_credentials',
      ],
      `${privateKeyPem}\n`,
    );
    expect((await server.introspect((await token('jwt')).trim())).active).toBe(true);
  });

  it('--param sets extra authorization request parameters; protocol parameters are refused', async () => {
    const { clientId, clientSecret } = server.clients.basic;
    const base = ['--issuer', server.issuer, '--client-id', clientId, '--client-secret-stdin', '--grant', 'client_credentials'];
    await add('aud', [...base, '--param', 'audience=https://api.example.test', '--param', 'resource_hint=a=b'], clientSecret);
    const config = JSON.parse(await readFile(join(sandbox.home, 'config.json'), 'utf8')) as {
      accounts: { name: string; provider: { extraParams?: Record<string, string> } }[];
    };
    expect(config.accounts.find((a) => a.name === 'aud')?.provider.extraParams).toEqual({
      audience: 'https://api.example.test',
      resource_hint: 'a=b',
    });
    expect((await server.introspect((await token('aud')).trim())).active).toBe(true);
    // A password for an account whose grant takes none is refused, not silently dropped.
    const stray = await cli(['login', 'aud', '--username', 'someone', '--password-stdin'], 'not-used\n');
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('apply only to password-grant accounts');

    const malformed = await cli(['account', 'add', 'bad1', ...base, '--param', 'novalue'], clientSecret);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--param takes KEY=VALUE');
    const reserved = await cli(['account', 'add', 'bad2', ...base, '--param', 'client_id=evil'], clientSecret);
    expect(reserved.code).not.toBe(0);
    expect(reserved.stderr).toContain('client_id');
    expect((await api('GET', '/v1/accounts')).text).not.toContain('bad2');
  });

  it('authorization code + PKCE: login --no-browser prints the URL, exits 0 once signed in', async () => {
    await add('code', [
      '--issuer',
      server.issuer,
      '--client-id',
      server.clients.public.clientId,
      '--auth',
      'none',
      '--grant',
      'authorization_code',
      '--scope',
      'openid api',
      '--redirect-uri',
      'http://127.0.0.1/callback',
    ]);
    const needs = await cli(['token', 'code']);
    expect(needs.code).toBe(3);
    const login = await loginWithBrowser('code', sandbox.env);
    expect(login.code).toBe(0);
    // The printed URL is the sign-in's one-shot start URL on 127.0.0.1 (the authorization URL, with
    // its PKCE challenge, never leaves the broker but through it); the CLI says who signed in.
    expect(login.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\/[A-Za-z0-9_-]+$/);
    expect(login.stderr).toContain('Signed in to code as alice.');
    expect((await server.introspect((await token('code')).trim())).active).toBe(true);
  });

  it('device authorization: prints the verification URL and the user code', async () => {
    await add('device', [
      '--issuer',
      server.issuer,
      '--client-id',
      server.clients.public.clientId,
      '--grant',
      'device_code',
      '--scope',
      'api',
    ]);
    const login = await loginWithDeviceCode('device', sandbox.env, server);
    expect(login.code).toBe(0);
    expect(login.url).toMatch(new RegExp(`^${server.issuer}/`));
    expect((await server.introspect((await token('device')).trim())).active).toBe(true);
  });

  it('password grant: refused without --allow-legacy before reaching anything, works with it', async () => {
    server.resetCounters();
    const refused = await cli(
      [
        'account',
        'add',
        'pw',
        '--issuer',
        server.issuer,
        '--client-id',
        server.clients.basic.clientId,
        '--client-secret-stdin',
        '--grant',
        'password',
      ],
      server.clients.basic.clientSecret,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--allow-legacy');
    expect((await api('GET', '/v1/accounts')).json).not.toContainEqual(expect.objectContaining({ name: 'pw' }));

    await add(
      'pw',
      [
        '--issuer',
        server.issuer,
        '--client-id',
        server.clients.basic.clientId,
        '--client-secret-stdin',
        '--grant',
        'password',
        '--allow-legacy',
      ],
      server.clients.basic.clientSecret,
    );
    const bad = await cli(['login', 'pw', '--username', server.user.username, '--password-stdin'], 'wrong-password\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toContain('wrong-password');
    const good = await cli(['login', 'pw', '--username', server.user.username, '--password-stdin'], `${server.user.password}\n`);
    expect(good.stderr).toContain('Signed in to pw.');
    expect(good.code).toBe(0);
    expect((await server.introspect((await token('pw')).trim())).active).toBe(true);
    expect(broker.stderr()).not.toContain(server.user.password);
  });

  it('implicit grant (legacy, opted in) through the fixture route', async () => {
    await add('implicit', [
      '--issuer',
      server.issuer,
      '--authorization-endpoint',
      `${server.issuer}/implicit/authorize`,
      '--client-id',
      server.clients.public.clientId,
      '--grant',
      'implicit',
      '--allow-legacy',
      '--scope',
      'api',
    ]);
    const login = await loginImplicit('implicit', sandbox.env);
    expect(login.code).toBe(0);
    expect((await token('implicit')).trim()).not.toBe('');
  });

  it('lists accounts as a table and as JSON', async () => {
    const table = await cli(['account', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+GRANT\s+STATUS\s+EXPIRES\s+SCOPES/);
    expect(table.stdout).toMatch(/\ncode\s+authorization_code\s+ok\s+in \d+m/);
    const json = JSON.parse((await cli(['account', 'list', '--json'])).stdout) as { name: string }[];
    expect(json.map((a) => a.name)).toEqual(expect.arrayContaining(['cc', 'code', 'device', 'pw']));
  });

  it('exec puts the token in the environment and exits with the child status', async () => {
    const expected = (await token('cc')).trim();
    const result = await cli([
      'exec',
      'cc',
      '--',
      process.execPath,
      '-e',
      'process.stdout.write(process.env.ACCESS_TOKEN ?? ""); process.exit(7)',
    ]);
    expect(result.stdout).toBe(expected);
    expect(result.code).toBe(7);
    const named = await cli([
      'exec',
      'cc',
      '--env',
      'GH_TOKEN',
      '--',
      process.execPath,
      '-e',
      'process.stdout.write(String(process.env.GH_TOKEN === process.env.NOPE ? "" : "set"))',
    ]);
    expect(named.stdout).toBe('set');
    expect(named.code).toBe(0);
    expect((await cli(['exec', 'cc', process.execPath])).code).toBe(2);
  });

  it('kubectl-credential prints an ExecCredential in the apiVersion kubectl asks for, with an RFC 3339 expiry', async () => {
    const v1 = JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } });
    const result = await runCli(['kubectl-credential', 'cc'], { ...sandbox.env, KUBERNETES_EXEC_INFO: v1 });
    expect(result.code).toBe(0);
    const credential = JSON.parse(result.stdout) as {
      apiVersion: string;
      kind: string;
      status: { token: string; expirationTimestamp: string };
    };
    expect(credential.apiVersion).toBe('client.authentication.k8s.io/v1');
    expect(credential.kind).toBe('ExecCredential');
    expect(credential.status.expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(credential.status.expirationTimestamp)).toBeGreaterThan(Date.now());
    expect((await server.introspect(credential.status.token)).active).toBe(true);
    // Without KUBERNETES_EXEC_INFO the caller is older than v1 (kubelogin's rule too).
    const old = JSON.parse((await cli(['kubectl-credential', 'cc'])).stdout) as { apiVersion: string };
    expect(old.apiVersion).toBe('client.authentication.k8s.io/v1beta1');
  });

  it('git-credential answers for its hosts and stays silent for others', async () => {
    await add(
      'git',
      [
        '--issuer',
        server.issuer,
        '--client-id',
        server.clients.basic.clientId,
        '--client-secret-stdin',
        '--grant',
        'client_credentials',
        '--git-host',
        'git.example.test',
        '--git-username',
        'x-access-token',
      ],
      server.clients.basic.clientSecret,
    );
    const get = await cli(['git-credential', 'get'], 'protocol=https\nhost=git.example.test\n\n');
    expect(get.code).toBe(0);
    const fields = Object.fromEntries(
      get.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(fields.username).toBe('x-access-token');
    expect((await server.introspect(fields.password as string)).active).toBe(true);
    const other = await cli(['git-credential', 'get'], 'protocol=https\nhost=elsewhere.test\n\n');
    expect(other).toMatchObject({ code: 0, stdout: '' });
    // Never a bearer token over cleartext http, even for a configured host.
    const cleartext = await cli(['git-credential', 'get'], 'protocol=http\nhost=git.example.test\n\n');
    expect(cleartext).toMatchObject({ code: 0, stdout: '' });
    expect((await cli(['git-credential', 'store'], 'protocol=https\nhost=git.example.test\nusername=u\npassword=p\n\n')).code).toBe(0);
    expect((await cli(['git-credential', 'erase'], 'protocol=https\nhost=git.example.test\n\n')).code).toBe(0);

    // And through git itself, when it is installed.
    if (spawnSync('git', ['--version']).status === 0) {
      const helper = `!'${process.execPath}' '${await cliPath()}' git-credential`;
      const filled = spawnSync(
        'git',
        ['-c', 'credential.helper=', '-c', `credential.https://git.example.test.helper=${helper}`, 'credential', 'fill'],
        {
          input: 'protocol=https\nhost=git.example.test\n\n',
          env: { ...sandbox.env, GIT_TERMINAL_PROMPT: '0' },
          encoding: 'utf8',
        },
      );
      expect(filled.stdout).toContain('username=x-access-token\n');
      expect(filled.stdout).toMatch(/password=\S+/);
    }
  });

  it('curl --unix-socket gets a token', async () => {
    if (spawnSync('curl', ['--version']).status !== 0) return;
    const result = spawnSync('curl', ['-sS', '--unix-socket', sandbox.socketPath, 'http://broker/v1/accounts/cc/token?min_ttl=60'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    const body = JSON.parse(result.stdout) as { access_token: string; token_type: string };
    expect(body.token_type.toLowerCase()).toBe('bearer');
    expect((await server.introspect(body.access_token)).active).toBe(true);
  });

  it('approval ask is denied headless: exit 4 and 403 DENIED', async () => {
    await add(
      'ask',
      [
        '--issuer',
        server.issuer,
        '--client-id',
        server.clients.basic.clientId,
        '--client-secret-stdin',
        '--grant',
        'client_credentials',
        '--approval',
        'ask',
      ],
      server.clients.basic.clientSecret,
    );
    const result = await cli(['token', 'ask']);
    expect(result.code).toBe(4);
    const res = await api('GET', '/v1/accounts/ask/token');
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error: { code: 'DENIED' } });
  });

  it('restart keeps accounts and tokens without a new login', async () => {
    const before = (await token('code')).trim();
    expect(await broker.stop()).toBe(0);
    server.resetCounters();
    await broker.start();
    expect((await token('code')).trim()).toBe(before);
    expect((await token('cc')).length).toBeGreaterThan(10);
    expect(server.tokenRequests.authorization_code ?? 0).toBe(0);
  });

  it('logout revokes at the provider; token then exits 3 and the API answers 409 NEEDS_LOGIN', async () => {
    const before = (await token('code')).trim();
    const result = await cli(['logout', 'code']);
    expect(result.code).toBe(0);
    expect((await server.introspect(before)).active).toBe(false);
    const after = await cli(['token', 'code']);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('code');
    const res = await api('GET', '/v1/accounts/code/token');
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ error: { code: 'NEEDS_LOGIN' } });
    expect((await api('GET', '/v1/accounts')).json).toContainEqual(expect.objectContaining({ name: 'code', status: 'needs_login' }));
  });

  it('logout of a client credentials account: token exits 3 and 409 NEEDS_LOGIN until login fetches again', async () => {
    await add(
      'cc-out',
      ['--issuer', server.issuer, '--client-id', server.clients.basic.clientId, '--client-secret-stdin', '--grant', 'client_credentials'],
      server.clients.basic.clientSecret,
    );
    const before = (await token('cc-out')).trim();
    expect((await cli(['logout', 'cc-out'])).code).toBe(0);
    expect((await server.introspect(before)).active).toBe(false);
    const after = await cli(['token', 'cc-out']);
    expect(after.code).toBe(3);
    const res = await api('GET', '/v1/accounts/cc-out/token');
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ error: { code: 'NEEDS_LOGIN' } });
    expect((await api('POST', '/v1/accounts/cc-out/refresh')).status).toBe(409);
    expect((await api('GET', '/v1/accounts')).json).toContainEqual(expect.objectContaining({ name: 'cc-out', status: 'needs_login' }));
    const login = await cli(['login', 'cc-out']);
    expect(login.code).toBe(0);
    const again = (await token('cc-out')).trim();
    expect(again).not.toBe(before);
    expect((await server.introspect(again)).active).toBe(true);
  });

  it('Ctrl-C during login cancels the sign-in in the broker; a new login then works', async () => {
    const running = await startCli(['login', 'code', '--no-browser'], sandbox.env);
    await running.waitForStderr(URL_LINE);
    running.child.kill('SIGINT');
    const { code } = await running.exited;
    expect(code).toBe(130);
    expect(running.stderr()).toContain('cancelled');
    expect((await cli(['token', 'code'])).code).toBe(3);
    expect((await loginWithBrowser('code', sandbox.env)).code).toBe(0);
    expect((await cli(['token', 'code'])).code).toBe(0);
  });

  it('exec forwards signals to the command and exits with its status', async () => {
    const script = "process.on('SIGTERM', () => process.exit(42)); process.stdout.write('ready'); setInterval(() => {}, 1000);";
    const running = await startCli(['exec', 'cc', '--', process.execPath, '-e', script], sandbox.env);
    await new Promise<void>((resolve) => {
      const check = (): void => (running.stdout().includes('ready') ? resolve() : void setTimeout(check, 20));
      check();
    });
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(42);
  });

  it('account remove forgets the account', async () => {
    expect((await cli(['account', 'remove', 'device'])).code).toBe(0);
    expect((await cli(['token', 'device'])).code).toBe(1);
    expect((await api('GET', '/v1/accounts/device/token')).status).toBe(404);
  });

  it('--help works on every command', async () => {
    for (const args of [
      ['--help'],
      ['serve', '--help'],
      ['account', '--help'],
      ['account', 'add', '--help'],
      ['account', 'list', '--help'],
      ['account', 'remove', '--help'],
      ['login', '--help'],
      ['token', '--help'],
      ['exec', '--help'],
      ['logout', '--help'],
      ['kubectl-credential', '--help'],
      ['kubeconfig', '--help'],
      ['git-credential', '--help'],
    ]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toMatch(/^usage: token-broker/);
    }
    expect((await cli([])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });
});
