/**
 * Who an account is signed in as: named from the ID token, completed from (or, without an ID
 * token, taken from) the UserInfo endpoint, persisted beside the tokens, kept across logout and
 * restarts, dropped when the provider changes; exposed on the summary and the API body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { AccountInput } from '../../../main/core/accounts/model.js';
import { toAccountBody } from '../../../main/core/api/wire.js';
import { identityFromClaims } from '../../../main/core/broker/identity.js';
import { identityLabel } from '../../../main/shared/accounts.js';
import { useAuthServer, useFixture } from '../../support/fixtures.js';
import { addSignedIn, basicSecrets, grantsWith, passwordAccount, signInInteractively, useHarnesses } from './harness.js';

const server = useAuthServer({}, { freshCounters: true });
const harness = useHarnesses();

/** A GitHub-like REST "user" endpoint: the access token in, `{ id, login, email }` out. */
const githubUser = useFixture<{ url: string; seen: string[]; http: Server }>({
  name: 'githubUser',
  scope: 'file',
  async setup() {
    const seen: string[] = [];
    const http: Server = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 583231, login: 'octocat', email: null, name: 'The Octocat' }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/user`, seen, http };
  },
  teardown: ({ http }) => new Promise<void>((resolve) => http.close(() => resolve())),
});

describe('identityFromClaims', () => {
  it('takes sub, preferred_username and email; falls back to GitHub-style id and login', () => {
    expect(identityFromClaims({ sub: 'alice', preferred_username: 'alice', email: 'a@example.test' })).toEqual({
      subject: 'alice',
      username: 'alice',
      email: 'a@example.test',
    });
    expect(identityFromClaims({ id: 583231, login: 'octocat', email: null })).toEqual({ subject: '583231', username: 'octocat' });
    expect(identityFromClaims({ upn: 'bob@corp.example', sub: 'x1' })).toEqual({ subject: 'x1', username: 'bob@corp.example' });
  });

  it('names nobody without a subject, and drops claims a terminal should not print', () => {
    expect(identityFromClaims({ preferred_username: 'alice' })).toBeUndefined();
    expect(identityFromClaims(undefined)).toBeUndefined();
    expect(identityFromClaims({ sub: 'alice', preferred_username: 'evil\u001b[2Jname', email: 'x'.repeat(300) })).toEqual({
      subject: 'alice',
    });
    expect(identityFromClaims({ sub: 'line\nbreak' })).toBeUndefined();
  });

  it('labels an identity by username, then email, then subject', () => {
    expect(identityLabel({ subject: 's', username: 'u', email: 'e' })).toBe('u');
    expect(identityLabel({ subject: 's', email: 'e' })).toBe('e');
    expect(identityLabel({ subject: 's' })).toBe('s');
  });
});

function codeAccount(name: string, provider: AccountInput['provider']): AccountInput {
  return {
    name,
    provider,
    client: { id: server.clients.public.clientId, auth: 'none' },
    grant: 'authorization_code',
    scopes: ['openid', 'api'],
  };
}

describe('the signed-in identity', () => {
  it('is named at sign-in from the ID token and UserInfo, stored in the vault and shown on the API body', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'pw', { scopes: ['openid', 'profile', 'email', 'api', 'offline_access'] });
    const expected = { subject: 'alice', username: 'alice', email: 'alice@example.test' };
    expect(h.broker.getAccount('pw').identity).toEqual(expected);
    expect(h.vault.get('pw')?.identity).toEqual(expected);
    expect(toAccountBody(h.broker.getAccount('pw')).identity).toEqual({ sub: 'alice', username: 'alice', email: 'alice@example.test' });
  });

  it('comes from the code flow too, and survives logout (as whose account it is) and a restart', async () => {
    const h = await harness({ keepDataDir: true });
    await h.broker.addAccount({
      name: 'code',
      provider: { issuer: server.issuer },
      client: { id: server.clients.public.clientId, auth: 'none' },
      grant: 'authorization_code',
      scopes: ['openid', 'email', 'api'],
    });
    await signInInteractively(h.broker, server, 'code');
    expect(h.broker.getAccount('code').identity).toMatchObject({ subject: 'alice', email: 'alice@example.test' });
    await h.broker.logout('code');
    expect(h.broker.getAccount('code')).toMatchObject({ status: 'needs_login', identity: { subject: 'alice' } });
    await h.dispose();
    const again = await harness({ dataDir: h.dataDir });
    expect(again.broker.getAccount('code').identity).toMatchObject({ subject: 'alice' });
  });

  it('is null on the API body when nothing names a user (client credentials)', async () => {
    const h = await harness();
    await h.broker.addAccount(
      {
        name: 'cc',
        provider: { issuer: server.issuer },
        client: { id: server.clients.basic.clientId, auth: 'basic' },
        grant: 'client_credentials',
        scopes: ['api'],
      },
      basicSecrets(server),
    );
    await h.broker.signIn('cc');
    expect(h.broker.getAccount('cc').identity).toBeUndefined();
    expect(toAccountBody(h.broker.getAccount('cc')).identity).toBeNull();
  });

  it("is taken from a GitHub-style user endpoint when there is no ID token, with the account's access token", async () => {
    const h = await harness();
    await addSignedIn(h, server, 'gh', {
      provider: { issuer: server.issuer, userinfoEndpoint: githubUser.url },
      scopes: ['api', 'offline_access'],
    });
    expect(h.broker.getAccount('gh').identity).toEqual({ subject: '583231', username: 'octocat' });
    const accessToken = h.vault.get('gh')?.tokens?.accessToken;
    expect(githubUser.seen.at(-1)).toBe(`Bearer ${accessToken}`);
  });

  it('ignores UserInfo claims about another subject than the ID token names (OIDC Core §5.3.2)', async () => {
    const h = await harness();
    await h.broker.addAccount(codeAccount('mixed', { issuer: server.issuer, userinfoEndpoint: githubUser.url }));
    await signInInteractively(h.broker, server, 'mixed');
    expect(h.vault.get('mixed')?.tokens?.idToken).toBeDefined();
    expect(h.broker.getAccount('mixed').identity).toEqual({ subject: 'alice' });
  });

  it('a failing UserInfo endpoint does not fail the sign-in; its failure is logged by code only', async () => {
    const h = await harness({
      grants: grantsWith({
        fetchUserInfo: async () => {
          throw Object.assign(new Error('down'), { name: 'BrokerError' });
        },
      }),
    });
    await h.broker.addAccount(codeAccount('down', { issuer: server.issuer }));
    await signInInteractively(h.broker, server, 'down');
    expect(h.broker.getAccount('down')).toMatchObject({ status: 'ok', identity: { subject: 'alice' } });
    expect(h.log.lines.join('\n')).toContain("could not name the user of 'down'");
  });

  it('is dropped when the account moves to another provider or client', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'moved', { scopes: ['openid', 'api', 'offline_access'] });
    expect(h.broker.getAccount('moved').identity).toBeDefined();
    await h.broker.updateAccount(
      'moved',
      passwordAccount(server, 'moved', { client: { id: server.clients.post.clientId, auth: 'post' } }),
      { clientSecret: server.clients.post.clientSecret },
    );
    expect(h.broker.getAccount('moved').identity).toBeUndefined();
    expect(h.vault.get('moved')?.identity).toBeUndefined();
  });
});
