/**
 * Sender-constrained tokens end to end (RFC 9449) and pushed authorization requests (RFC 9126):
 * a real `token-broker serve`, the oidc-provider fixture with DPoP and PAR, the test resource
 * server that checks proofs as RFC 9449 §7 says, and curl.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createKeytarSecretStore, openVault } from '../../main/core/vault/index.js';
import { call } from '../core/api/support/http.js';
import { createTestDpopKey } from '../support/dpop-client.js';
import { useAuthServers, useFixture } from '../support/fixtures.js';
import { completeLoginHttp, followStartUrl } from '../support/login.js';
import { startResourceServer } from '../support/resource-server.js';
import { runCli, startCli, useSandbox, useServe } from './support/cli.js';
import { URL_LINE } from './support/login-flow.js';

const run = promisify(execFile);

const { dpop: server } = useAuthServers(['dpop'], { dpop: true, par: 'optional' });
const { strict, plain } = { ...useAuthServers(['strict'], { dpopNonce: true, par: 'required' }), ...useAuthServers(['plain']) };
const api = useFixture({
  name: 'resource server',
  scope: 'file',
  setup: () => startResourceServer({ introspect: (token) => server.introspect(token) }),
  teardown: (resource) => resource.close(),
});
const sandbox = useSandbox();
const broker = useServe(sandbox);

const cli = (args: string[], stdin?: string) => runCli(args, sandbox.env, stdin);

async function add(name: string, flags: string[], stdin?: string): Promise<void> {
  const result = await cli(['account', 'add', name, ...flags], stdin);
  expect(result.stderr).toContain(`Added account ${name}`);
  expect(result.code).toBe(0);
}

async function out(args: string[]): Promise<string> {
  const result = await cli(args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

describe('DPoP end to end through the CLI and curl', () => {
  it('binds a client credentials account to its key (dpop auto) and curl gets through with dpop-proof', async () => {
    const { clientId, clientSecret } = server.clients.basic;
    await add(
      'cc',
      ['--issuer', server.issuer, '--client-id', clientId, '--client-secret-stdin', '--grant', 'client_credentials', '--scope', 'api:read'],
      `${clientSecret}\n`,
    );
    const json = JSON.parse(await out(['token', 'cc', '--format', 'json'])) as { access_token: string; token_type: string };
    expect(json.token_type).toBe('DPoP');
    const introspection = await server.introspect(json.access_token);
    expect(introspection).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: expect.any(String) } });

    const url = `${api.url}/echo/me`;
    const proof = await out(['dpop-proof', 'cc', '--method', 'GET', '--url', url]);
    const ok = await curl(['-H', `Authorization: DPoP ${json.access_token}`, '-H', `DPoP: ${proof}`, url]);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).auth).toMatchObject({ scheme: 'dpop', jkt: (introspection.cnf as { jkt: string }).jkt });

    // The same proof again is a replay; the token alone (Bearer) or with another key's proof is useless to a thief.
    expect((await curl(['-H', `Authorization: DPoP ${json.access_token}`, '-H', `DPoP: ${proof}`, url])).status).toBe(401);
    const stolen = await curl(['-H', `Authorization: Bearer ${json.access_token}`, url]);
    expect(stolen.status).toBe(401);
    expect(JSON.parse(stolen.body).error).toBe('invalid_token');
    const thief = await createTestDpopKey();
    const forged = await thief.proof('GET', url, { accessToken: json.access_token });
    expect((await curl(['-H', `Authorization: DPoP ${json.access_token}`, '-H', `DPoP: ${forged}`, url])).status).toBe(401);

    // A proof for another method or URL is refused too.
    const wrongUrl = await out(['dpop-proof', 'cc', '--method', 'GET', '--url', `${api.url}/echo/other`]);
    expect((await curl(['-H', `Authorization: DPoP ${json.access_token}`, '-H', `DPoP: ${wrongUrl}`, url])).status).toBe(401);
  });

  it('prints both header lines for curl with token --format header --method --url', async () => {
    const url = `${api.url}/echo/headers`;
    const headers = await out(['token', 'cc', '--format', 'header', '--method', 'get', '--url', url]);
    const lines = headers.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Authorization: DPoP \S+$/);
    expect(lines[1]).toMatch(/^DPoP: [\w-]+\.[\w-]+\.[\w-]+$/);
    const file = join(sandbox.dir, 'headers.txt');
    await writeFile(file, `${headers}\n`, { mode: 0o600 });
    expect((await curl(['-H', `@${file}`, url])).status).toBe(200);

    const plainHeader = await cli(['token', 'cc', '--format', 'header']);
    expect(plainHeader.code).toBe(2);
    expect(plainHeader.stderr).toContain('--method and --url');
  });

  it('answers dpop-proof for a Bearer account with a clear error, and dpop: on at a provider without DPoP fails', async () => {
    const { clientId, clientSecret } = plain.clients.basic;
    await add(
      'bearer',
      ['--issuer', plain.issuer, '--client-id', clientId, '--client-secret-stdin', '--grant', 'client_credentials'],
      `${clientSecret}\n`,
    );
    expect(JSON.parse(await out(['token', 'bearer', '--format', 'json'])).token_type).toBe('Bearer');
    const refused = await cli(['dpop-proof', 'bearer', '--method', 'GET', '--url', 'https://api.example.test/']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('not DPoP-bound');

    await add(
      'insist',
      ['--issuer', plain.issuer, '--client-id', clientId, '--client-secret-stdin', '--grant', 'client_credentials', '--dpop', 'on'],
      `${clientSecret}\n`,
    );
    const insisted = await cli(['token', 'insist']);
    expect(insisted.code).toBe(1);
    expect(insisted.stderr).toContain('requires DPoP (dpop: on)');
  });

  it('signs in with a pushed authorization request bound to the key: the browser URL has only client_id and request_uri', async () => {
    await add('web', [
      '--issuer',
      server.issuer,
      '--client-id',
      server.clients.public.clientId,
      '--grant',
      'authorization_code',
      '--scope',
      'openid api:read',
    ]);
    const parBefore = server.parRequests;
    const login = await startCli(['login', 'web', '--no-browser'], sandbox.env);
    const [, url] = await login.waitForStderr(URL_LINE);
    // The CLI prints the broker's one-shot start URL; where it leads is the authorization URL.
    const started = await followStartUrl(url as string);
    const browserUrl = new URL(started.url);
    expect([...browserUrl.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(browserUrl.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(server.parRequests).toBe(parBefore + 1);
    await completeLoginHttp(started.url, started.cookie === undefined ? {} : { cookie: started.cookie });
    expect((await login.exited).code).toBe(0);

    const first = JSON.parse(await out(['token', 'web', '--format', 'json'])) as { access_token: string; token_type: string };
    expect(first.token_type).toBe('DPoP');
    // The public client's refresh token is bound to the key too: the broker's refresh carries a proof.
    const refreshed = await call({ socketPath: sandbox.socketPath }, 'POST', '/v1/accounts/web/refresh');
    expect(refreshed.status).toBe(200);
    const second = refreshed.json as { access_token: string; token_type: string };
    expect(second.token_type).toBe('DPoP');
    expect(second.access_token).not.toBe(first.access_token);
    expect((await server.introspect(second.access_token)).cnf).toEqual((await server.introspect(first.access_token)).cnf);
  });

  it('works with a provider that requires PAR and DPoP nonces', async () => {
    await add(
      'strict',
      [
        '--issuer',
        strict.issuer,
        '--client-id',
        strict.clients.jwt.clientId,
        '--auth',
        'private_key_jwt',
        '--key-id',
        strict.clients.jwt.keyId,
        '--client-secret-stdin',
        '--grant',
        'authorization_code',
        '--scope',
        'api:read',
      ],
      strict.clients.jwt.privateKeyPem,
    );
    const login = await startCli(['login', 'strict', '--no-browser'], sandbox.env);
    const [, url] = await login.waitForStderr(URL_LINE);
    const started = await followStartUrl(url as string);
    expect([...new URL(started.url).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    await completeLoginHttp(started.url, started.cookie === undefined ? {} : { cookie: started.cookie });
    expect((await login.exited).code).toBe(0);
    const json = JSON.parse(await out(['token', 'strict', '--format', 'json'])) as { access_token: string; token_type: string };
    expect(json.token_type).toBe('DPoP');
    expect((await strict.introspect(json.access_token)).active).toBe(true);
  });

  it('never lets the private key out: not in files, logs, the audit log or any answer', async () => {
    await out(['token', 'cc']);
    await broker.stop();
    let pems: string[];
    try {
      const vault = await openVault({ dataDir: sandbox.home, secretStore: createKeytarSecretStore() });
      pems = ['cc', 'web', 'strict'].map((name) => vault.get(name)?.dpopKeyPem).filter((pem): pem is string => pem !== undefined);
      await vault.close();
    } finally {
      await broker.start();
    }
    expect(pems).toHaveLength(3);
    const { createPrivateKey } = await import('node:crypto');
    const needles = pems.flatMap((pem) => {
      const body = pem.split('\n').slice(1, -2).join('');
      const d = createPrivateKey(pem).export({ format: 'jwk' }).d as string;
      return [body.slice(0, 48), body.slice(-48), d];
    });
    const haystacks: string[] = [broker.stdout(), broker.stderr()];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) haystacks.push((await readFile(path)).toString('latin1'));
      }
    };
    await walk(sandbox.home);
    for (const path of ['/v1/accounts', '/v1/accounts/cc', '/v1/accounts/cc/token', '/v1/audit'])
      haystacks.push((await call({ socketPath: sandbox.socketPath }, 'GET', path)).text);
    haystacks.push(await out(['dpop-proof', 'cc', '--method', 'GET', '--url', 'https://api.example.test/me']));
    for (const args of [['account', 'show', 'cc'], ['status'], ['audit']]) {
      const shown = await cli(args);
      haystacks.push(shown.stdout, shown.stderr);
    }
    for (const haystack of haystacks) for (const needle of needles) expect(haystack).not.toContain(needle);
  });
});
