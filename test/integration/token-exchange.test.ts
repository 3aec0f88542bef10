/**
 * Token exchange (RFC 8693) through a real `token-broker serve` and CLI against the fixture's
 * exchange grant: the account's audience allow-list, the cache and single-flight, DPoP-bound
 * exchanged tokens, and the audit trail.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call } from '../core/api/support/http.js';
import { FIXTURE_EXCHANGE_AUDIENCES, TOKEN_EXCHANGE_GRANT_TYPE } from '../support/auth-server.js';
import { useAuthServer, useFixture } from '../support/fixtures.js';
import { startResourceServer } from '../support/resource-server.js';
import { runCli, useSandbox, useServe } from './support/cli.js';

const [API, REPORTS] = FIXTURE_EXCHANGE_AUDIENCES;
const server = useAuthServer({ dpop: true });
const sandbox = useSandbox();
useServe(sandbox);
const reports = useFixture({
  name: 'resource server for the reports audience',
  scope: 'file',
  setup: () => startResourceServer({ introspect: (token) => server.introspect(token), audience: REPORTS }),
  teardown: (resource) => resource.close(),
});

const cli = (args: string[], stdin?: string) => runCli(args, sandbox.env, stdin);
const exchanges = (): number => server.tokenRequests[TOKEN_EXCHANGE_GRANT_TYPE] ?? 0;

async function addAccount(name: string, extra: string[]): Promise<void> {
  const { clientId, clientSecret } = server.clients.basic;
  const result = await cli(
    [
      'account',
      'add',
      name,
      '--issuer',
      server.issuer,
      '--client-id',
      clientId,
      '--client-secret-stdin',
      '--grant',
      'client_credentials',
      '--scope',
      'api:read api:write',
      ...extra,
    ],
    `${clientSecret}\n`,
  );
  expect(result.code).toBe(0);
}

async function tokenJson(args: string[]): Promise<{ access_token: string; token_type: string; scope: string | null }> {
  const result = await cli(['token', ...args, '--format', 'json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { access_token: string; token_type: string; scope: string | null };
}

describe('token exchange through the broker', () => {
  it('exchanges for an allowed audience, caches it per (audience, resource, scope), and refuses any other audience', async () => {
    await addAccount('svc', ['--dpop', 'off', '--exchange-audience', API as string, '--exchange-audience', REPORTS as string]);
    const main = await tokenJson(['svc']);
    server.resetCounters();
    const forApi = await tokenJson(['svc', '--audience', API as string]);
    expect(forApi.access_token).not.toBe(main.access_token);
    expect(forApi.token_type).toBe('Bearer');
    expect(await server.introspect(forApi.access_token)).toMatchObject({ active: true, aud: API });
    expect(exchanges()).toBe(1);

    // Cached: the same target again costs nothing; another scope or resource is its own entry.
    expect((await tokenJson(['svc', '--audience', API as string])).access_token).toBe(forApi.access_token);
    expect(exchanges()).toBe(1);
    const narrow = await tokenJson(['svc', '--audience', API as string, '--scope', 'api:read']);
    expect(narrow.scope).toBe('api:read');
    expect(narrow.access_token).not.toBe(forApi.access_token);
    const byResource = await tokenJson(['svc', '--resource', REPORTS as string]);
    expect((await server.introspect(byResource.access_token)).aud).toBe(REPORTS);
    expect(exchanges()).toBe(3);

    const refused = await cli(['token', 'svc', '--audience', 'https://elsewhere.example']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("Token exchange for audience 'https://elsewhere.example' is not allowed for 'svc'");
    expect(exchanges()).toBe(3);

    await addAccount('closed', ['--dpop', 'off']);
    const none = await cli(['token', 'closed', '--audience', API as string]);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('it allows none');
  });

  it('sends one exchange for 30 concurrent requests, and the provider’s own refusal comes back as its OAuth error', async () => {
    await addAccount('herd', [
      '--dpop',
      'off',
      '--exchange-audience',
      API as string,
      '--exchange-audience',
      'https://not-at-the-provider.example',
    ]);
    await tokenJson(['herd']);
    server.resetCounters();
    server.setTokenDelay(300);
    try {
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          call({ socketPath: sandbox.socketPath }, 'GET', `/v1/accounts/herd/token?audience=${encodeURIComponent(API as string)}`),
        ),
      );
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      expect(new Set(answers.map((answer) => (answer.json as { access_token: string }).access_token)).size).toBe(1);
      expect(exchanges()).toBe(1);
    } finally {
      server.setTokenDelay(0);
    }
    const providerRefused = await call(
      { socketPath: sandbox.socketPath },
      'GET',
      '/v1/accounts/herd/token?audience=https%3A%2F%2Fnot-at-the-provider.example',
    );
    expect(providerRefused.status).toBe(502);
    expect(providerRefused.json).toMatchObject({ error: { code: 'OAUTH_ERROR', oauth_error: 'invalid_target' } });
    const doubled = await call({ socketPath: sandbox.socketPath }, 'GET', `/v1/accounts/herd/token?audience=a&audience=b`);
    expect(doubled.status).toBe(400);
  });

  it('exchanges a DPoP-bound token for a DPoP-bound one, usable with its own proof at the target', async () => {
    await addAccount('bound', ['--exchange-audience', REPORTS as string]);
    const main = await tokenJson(['bound']);
    expect(main.token_type).toBe('DPoP');
    const exchanged = await tokenJson(['bound', '--audience', REPORTS as string]);
    expect(exchanged.token_type).toBe('DPoP');
    expect((await server.introspect(exchanged.access_token)).cnf).toEqual((await server.introspect(main.access_token)).cnf);

    const url = `${reports.url}/echo/report`;
    const headers = await cli(['token', 'bound', '--audience', REPORTS as string, '--format', 'header', '--method', 'GET', '--url', url]);
    expect(headers.code).toBe(0);
    const [authorization, proof] = headers.stdout.trim().split('\n');
    expect(authorization).toBe(`Authorization: DPoP ${exchanged.access_token}`);
    const answer = await fetch(url, { headers: { authorization: (authorization as string).slice(15), dpop: (proof as string).slice(6) } });
    expect(answer.status).toBe(200);
    // The main token is for another audience: the reports API refuses it.
    const mainProof = await cli(['dpop-proof', 'bound', '--method', 'GET', '--url', url]);
    const wrongAudience = await fetch(url, { headers: { authorization: `DPoP ${main.access_token}`, dpop: mainProof.stdout.trim() } });
    expect(wrongAudience.status).toBe(401);
  });

  it('audits exchanges as such, without tokens', async () => {
    const audit = await readFile(join(sandbox.home, 'audit.log'), 'utf8');
    const lines = audit
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.kind === 'exchange' && line.account === 'svc' && line.outcome === 'granted')).toBe(true);
    expect(
      lines.some((line) => line.kind === 'exchange' && line.account === 'svc' && line.outcome === 'denied' && line.code === 'DENIED'),
    ).toBe(true);
    expect(lines.some((line) => line.kind === 'dpop_proof' && line.account === 'bound' && line.method === 'GET')).toBe(true);
    expect(audit).not.toMatch(/access_token|eyJ/);
  });
});
