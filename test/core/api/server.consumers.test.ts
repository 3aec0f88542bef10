/**
 * The routes for consumers other than scripts: the ID token (`type=id_token`), kubectl's
 * credential and the docker credential helper's registry lookups — routing and wire shapes over
 * the real socket server, with the in-memory broker double (the real broker is covered in
 * test/core/broker/broker.id-token.test.ts and the integration suite).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../main/core/api/server.js';
import { BrokerError } from '../../../main/core/errors.js';
import { useTempDir } from '../../support/fixtures.js';
import { FakeBroker } from './support/fake-broker.js';
import { call } from './support/http.js';

const NOW = 1_800_000_000_000;
const clock = { now: () => NOW };
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';

describe('consumer routes', () => {
  const temp = useTempDir('tb-api-consumers-');
  let broker: FakeBroker;
  let api: ApiServer;
  const get = (path: string, headers: Record<string, string> = {}) => call({ socketPath: api.socketPath }, 'GET', path, { headers });

  beforeEach(async () => {
    broker = new FakeBroker();
    const token = { accessToken: 'at-oidc', tokenType: 'Bearer', expiresAt: NOW + 3_600_000, expiresIn: 3600, scope: 'openid api' };
    const idToken = { idToken: ID_TOKEN, expiresAt: NOW + 600_500, expiresIn: 600 };
    broker.add('oidc', {
      token,
      idToken,
      refreshToken: 'rt-secret',
      config: { grant: 'authorization_code', scopes: ['openid', 'api'], registry: { hosts: ['127.0.0.1:5000', 'docker.io'] } },
    });
    broker.add('plain', { token: { ...token, accessToken: 'at-plain' }, config: { grant: 'authorization_code', scopes: ['api'] } });
    broker.add('pinned', {
      token: { ...token, accessToken: 'at-pinned' },
      idToken,
      config: { grant: 'authorization_code', scopes: ['openid'], kubernetes: { tokenType: 'access_token' } },
    });
    broker.add('gitlab', {
      token: { ...token, accessToken: 'at-gitlab' },
      config: { preset: 'gitlab', grant: 'authorization_code', scopes: ['openid'], registry: { hosts: ['registry.gitlab.com'] } },
    });
    broker.add('named', {
      token: { ...token, accessToken: 'at-named' },
      config: { registry: { hosts: ['ghcr.io', 'registry.gitlab.com'], username: 'alice' } },
    });
    broker.add('gone', { error: new BrokerError('NEEDS_LOGIN', "Account 'gone' needs a sign-in.") });
    api = await startApiServer({ broker, socketPath: join(temp.path, 'broker.sock'), clock });
  });

  afterEach(async () => {
    await api.close();
  });

  describe('GET …/token?type=id_token', () => {
    it('answers {id_token, expires_at, expires_in} and passes min_ttl and the client', async () => {
      const res = await get('/v1/accounts/oidc/token?type=id_token&min_ttl=45', { 'X-Token-Broker-Client': 'aws-cli' });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ id_token: ID_TOKEN, expires_at: Math.floor((NOW + 600_500) / 1000), expires_in: 600 });
      // The socket's peer credentials ride along (issue 10): this test process is who connected.
      expect(broker.calls.at(-1)).toEqual({
        method: 'getIdToken',
        name: 'oidc',
        request: { minTtl: 45, client: 'aws-cli', caller: expect.objectContaining({ verified: true, pid: process.pid }) },
      });
      expect(res.text).not.toContain('at-oidc');
      expect(res.text).not.toContain('rt-secret');
    });

    it('keeps type=access_token (and no type) on the access token', async () => {
      expect((await get('/v1/accounts/oidc/token?type=access_token')).json).toMatchObject({ access_token: 'at-oidc' });
      expect((await get('/v1/accounts/oidc/token')).json).toMatchObject({ access_token: 'at-oidc' });
    });

    it('refuses other types, a scope, and type=id_token on refresh with INVALID_REQUEST', async () => {
      for (const path of ['/v1/accounts/oidc/token?type=refresh_token', '/v1/accounts/oidc/token?type=id_token&scope=api']) {
        const res = await get(path);
        expect(res.status, path).toBe(400);
        expect((res.json as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
        // Refused before the broker, audited all the same (issue 10 item 13), with the verified caller.
        expect(broker.calls.at(-1), path).toMatchObject({
          method: 'recordRefusal',
          name: 'oidc',
          request: { client: 'unknown', caller: { verified: true, pid: process.pid } },
          code: 'INVALID_REQUEST',
        });
      }
      const refresh = await call({ socketPath: api.socketPath }, 'POST', '/v1/accounts/oidc/refresh?type=id_token');
      expect(refresh.status).toBe(400);
      expect((await get('/v1/accounts/oidc/token?type=id_token&min_ttl=-1')).status).toBe(400);
    });

    it('passes the broker’s errors through (404, 409)', async () => {
      expect((await get('/v1/accounts/missing/token?type=id_token')).status).toBe(404);
      const gone = await get('/v1/accounts/gone/token?type=id_token');
      expect(gone.status).toBe(409);
      expect(gone.json).toEqual({ error: { code: 'NEEDS_LOGIN', message: "Account 'gone' needs a sign-in." } });
    });
  });

  describe('GET …/kubernetes-credential', () => {
    it('hands out the ID token for an account that requests openid, the access token otherwise', async () => {
      const oidc = await get('/v1/accounts/oidc/kubernetes-credential?min_ttl=30');
      expect(oidc.status).toBe(200);
      expect(oidc.json).toEqual({
        token: ID_TOKEN,
        token_type: 'id_token',
        expires_at: Math.floor((NOW + 600_500) / 1000),
        expires_in: 600,
      });
      expect(broker.calls.at(-1)).toEqual({
        method: 'getIdToken',
        name: 'oidc',
        request: { minTtl: 30, client: 'kubectl', caller: expect.objectContaining({ verified: true, pid: process.pid }) },
      });
      const plain = await get('/v1/accounts/plain/kubernetes-credential');
      expect(plain.json).toEqual({
        token: 'at-plain',
        token_type: 'access_token',
        expires_at: Math.floor((NOW + 3_600_000) / 1000),
        expires_in: 3600,
      });
    });

    it('follows kubernetes.tokenType, and token_type over both', async () => {
      expect((await get('/v1/accounts/pinned/kubernetes-credential')).json).toMatchObject({
        token: 'at-pinned',
        token_type: 'access_token',
      });
      expect((await get('/v1/accounts/pinned/kubernetes-credential?token_type=id_token')).json).toMatchObject({
        token: ID_TOKEN,
        token_type: 'id_token',
      });
      expect((await get('/v1/accounts/oidc/kubernetes-credential?token_type=access_token')).json).toMatchObject({ token: 'at-oidc' });
      const bad = await get('/v1/accounts/oidc/kubernetes-credential?token_type=refresh_token');
      expect(bad.status).toBe(400);
      expect((await get('/v1/accounts/missing/kubernetes-credential')).status).toBe(404);
    });
  });

  describe('registry lookups', () => {
    it('answers the account, its username and the access token for a configured host', async () => {
      const res = await get('/v1/registry/credential?host=127.0.0.1:5000');
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ account: 'oidc', username: 'oauth2accesstoken', access_token: 'at-oidc', token_type: 'Bearer' });
      expect(broker.calls.at(-1)).toEqual({
        method: 'getToken',
        name: 'oidc',
        request: { client: 'docker-credential', caller: expect.objectContaining({ verified: true, pid: process.pid }), minTtl: 60 },
      });
      expect((await get('/v1/registry/credential?host=https%3A%2F%2Findex.docker.io%2Fv1%2F')).json).toMatchObject({ account: 'oidc' });
    });

    it('takes the username from the account, else its preset (GitLab: oauth2)', async () => {
      expect((await get('/v1/registry/credential?host=registry.gitlab.com')).json).toMatchObject({ account: 'gitlab', username: 'oauth2' });
      expect((await get('/v1/registry/credential?host=ghcr.io')).json).toMatchObject({ account: 'named', username: 'alice' });
    });

    it('answers 404 ACCOUNT_NOT_FOUND for unknown hosts and 400 without one', async () => {
      for (const host of ['quay.io', '127.0.0.1:5001', 'not%20a%20host']) {
        const res = await get(`/v1/registry/credential?host=${host}`);
        expect(res.status, host).toBe(404);
        expect((res.json as { error: { code: string } }).error.code).toBe('ACCOUNT_NOT_FOUND');
      }
      expect((await get('/v1/registry/credential')).status).toBe(400);
    });

    it('lists every configured host with its username, first account first', async () => {
      const res = await get('/v1/registry/hosts');
      expect(res.json).toEqual({
        '127.0.0.1:5000': 'oauth2accesstoken',
        'docker.io': 'oauth2accesstoken',
        'registry.gitlab.com': 'oauth2',
        'ghcr.io': 'alice',
      });
      expect(res.text).not.toContain('at-');
    });
  });
});
