/**
 * The add/edit-time provider check against real servers: the oidc-provider fixture, a provider
 * whose metadata offers little, one with a broken document, and a port where nothing listens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAccountInput } from '../../../main/core/accounts/validate.js';
import { probeProvider } from '../../../main/core/broker/provider-probe.js';
import { createHttpClient } from '../../../main/core/oauth/http.js';
import { useAuthServer } from '../../support/fixtures.js';

const server = useAuthServer();
const http = createHttpClient({ env: {}, connectRetries: 0 });
let other: Server;
let base: string;
/** What the other server publishes at /<path>/.well-known/openid-configuration. */
const docs: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  other = createServer((req, res) => {
    const path = (req.url ?? '').replace('/.well-known/openid-configuration', '');
    const doc = docs[path];
    if (doc !== undefined && req.url?.endsWith('/.well-known/openid-configuration')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  docs['/narrow'] = {
    issuer: `${base}/narrow`,
    authorization_endpoint: `${base}/narrow/auth`,
    token_endpoint: `${base}/narrow/token`,
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
  };
  docs['/broken'] = { issuer: `${base}/broken`, authorization_endpoint: `${base}/broken/auth` };
});

afterAll(() => new Promise<void>((resolve) => other.close(() => resolve())));

function account(provider: Record<string, unknown>, grant = 'authorization_code', auth = 'none') {
  return validateAccountInput({ name: 'probe', provider, client: { id: 'c', auth }, grant });
}

describe('provider check', () => {
  it('accepts an account the provider supports, by issuer or by endpoints that answer', async () => {
    await expect(probeProvider(account({ issuer: server.issuer }), http)).resolves.toBeUndefined();
    await expect(probeProvider(account({ issuer: server.issuer }, 'client_credentials', 'basic'), http)).resolves.toBeUndefined();
    const endpoints = { authorizationEndpoint: `${server.issuer}/auth`, tokenEndpoint: `${server.issuer}/token` };
    await expect(probeProvider(account(endpoints), http)).resolves.toBeUndefined();
  });

  it('refuses a grant and an auth method the metadata does not list, with the values it does', async () => {
    const refused = probeProvider(account({ issuer: `${base}/narrow` }, 'device_code'), http);
    await expect(refused).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('Use grant = authorization_code.'),
    });
    const auth = probeProvider(account({ issuer: `${base}/narrow` }, 'authorization_code', 'basic'), http);
    await expect(auth).rejects.toMatchObject({ message: expect.stringContaining('Use client.auth = post (or private_key_jwt).') });
  });

  it('refuses a mismatched issuer and plain http off this machine, naming the fix', async () => {
    await expect(probeProvider(account({ issuer: `${base}/narrow/` }), http)).rejects.toMatchObject({
      message: expect.stringContaining(`Use provider.issuer = ${base}/narrow.`),
    });
    await expect(probeProvider(account({ issuer: 'http://id.example.com/realm' }), http)).rejects.toMatchObject({
      message: expect.stringContaining('Use provider.issuer = https://id.example.com/realm.'),
    });
  });

  it('reports a provider it cannot use: no document, a broken one, endpoints where nothing listens', async () => {
    await expect(probeProvider(account({ issuer: `${base}/nothing` }), http)).rejects.toMatchObject({ code: 'DISCOVERY_FAILED' });
    await expect(probeProvider(account({ issuer: `${base}/broken` }), http)).rejects.toMatchObject({ code: 'DISCOVERY_FAILED' });
    const dead = { authorizationEndpoint: 'http://127.0.0.1:9/auth', tokenEndpoint: 'http://127.0.0.1:9/token' };
    await expect(probeProvider(account(dead), http)).rejects.toMatchObject({ code: 'PROVIDER_UNREACHABLE' });
  });
});
