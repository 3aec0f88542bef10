/**
 * The token exchange grant (RFC 8693) against the fixture's registered grant: audiences,
 * scopes, DPoP-bound subjects, and the response checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopNonceStore, generateDpopKey, sendWithDpop } from '../../../main/core/oauth/dpop.js';
import {
  ACCESS_TOKEN_TYPE,
  processTokenExchangeResponse,
  tokenExchangeGrant,
  tokenExchangeParams,
} from '../../../main/core/oauth/grants/token-exchange.js';
import {
  clientCredentialsGrant,
  createHttpClient,
  discoverProvider,
  processTokenResponse,
  type HttpClient,
  type ProviderMetadata,
} from '../../../main/core/oauth/index.js';
import { buildTokenRequest } from '../../../main/core/oauth/token-request.js';
import { FIXTURE_EXCHANGE_AUDIENCES, startAuthServer, type AuthServer } from '../../support/auth-server.js';
import { clientAuthFor } from './helpers/fixture.js';
import { rejectionOf } from './helpers/http-util.js';

let server: AuthServer;
let http: HttpClient;
let metadata: ProviderMetadata;

beforeAll(async () => {
  server = await startAuthServer({ dpopNonce: true });
  http = createHttpClient({ env: {} });
  metadata = await discoverProvider(server.issuer, http);
});
afterAll(() => server.close());

const AUDIENCE = FIXTURE_EXCHANGE_AUDIENCES[0];

describe('token exchange (RFC 8693)', () => {
  it('exchanges an access token for one aimed at an allowed audience, with a narrower scope', async () => {
    const client = clientAuthFor(server, 'basic');
    const subject = await clientCredentialsGrant({ http, metadata, client, scope: 'api:read api:write' });
    const exchanged = await tokenExchangeGrant({
      http,
      metadata,
      client,
      subjectToken: subject.accessToken,
      audience: AUDIENCE,
      scope: 'api:read',
    });
    expect(exchanged).toMatchObject({ issuedTokenType: ACCESS_TOKEN_TYPE, tokenType: 'Bearer', scope: 'api:read' });
    expect(exchanged.refreshToken).toBeUndefined();
    expect(exchanged.accessToken).not.toBe(subject.accessToken);
    expect(await server.introspect(exchanged.accessToken)).toMatchObject({ active: true, aud: AUDIENCE, scope: 'api:read' });
    const byResource = await tokenExchangeGrant({
      http,
      metadata,
      client,
      subjectToken: subject.accessToken,
      resource: FIXTURE_EXCHANGE_AUDIENCES[1],
    });
    expect((await server.introspect(byResource.accessToken)).aud).toBe(FIXTURE_EXCHANGE_AUDIENCES[1]);
  });

  it('reports a refused audience as OAUTH_ERROR invalid_target, without the subject token', async () => {
    const client = clientAuthFor(server, 'post');
    const subject = await clientCredentialsGrant({ http, metadata, client, scope: 'api:read' });
    const error = await rejectionOf(
      tokenExchangeGrant({ http, metadata, client, subjectToken: subject.accessToken, audience: 'https://elsewhere.example' }),
    );
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_target', status: 400 });
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(subject.accessToken);
  });

  it('exchanges a DPoP-bound token with a proof of its key (answering the nonce challenge) and binds the result', async () => {
    const client = clientAuthFor(server, 'jwt');
    const key = generateDpopKey();
    const nonces = new DpopNonceStore();
    const build = () => buildTokenRequest(metadata, client, { grant_type: 'client_credentials', scope: 'api:read' }, { now: Date.now() });
    const subject = processTokenResponse(await sendWithDpop(http, { key, nonces }, build), {
      purpose: 'token endpoint',
      url: metadata.tokenEndpoint,
      now: Date.now(),
    });
    expect(subject.tokenType).toBe('DPoP');

    const withoutProof = await rejectionOf(
      tokenExchangeGrant({ http, metadata, client, subjectToken: subject.accessToken, audience: AUDIENCE }),
    );
    expect(withoutProof).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_grant' });

    server.resetCounters();
    const exchanged = await tokenExchangeGrant({
      http,
      metadata,
      client,
      subjectToken: subject.accessToken,
      audience: AUDIENCE,
      dpop: { key, nonces: new DpopNonceStore() },
    });
    expect(server.tokenRequests['urn:ietf:params:oauth:grant-type:token-exchange']).toBe(2);
    expect(exchanged.tokenType).toBe('DPoP');
    expect((await server.introspect(exchanged.accessToken)).cnf).toEqual({ jkt: key.thumbprint });
  });
});

describe('token exchange request and response, without a network', () => {
  it('asks for an access token with the subject as an access token, and omits empty targets', () => {
    expect(tokenExchangeParams('subj', { audience: 'a', resource: '', scope: 'x y' })).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'subj',
      subject_token_type: ACCESS_TOKEN_TYPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      audience: 'a',
      scope: 'x y',
    });
  });

  it('requires issued_token_type to be an access token or JWT and drops refresh tokens', () => {
    const options = { purpose: 'token endpoint', url: 'https://as.example/token', now: 0 };
    const reply = (body: unknown) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      url: options.url,
    });
    const base = { access_token: 'at', token_type: 'Bearer', expires_in: 60 };
    expect(processTokenExchangeResponse(reply({ ...base, issued_token_type: ACCESS_TOKEN_TYPE, refresh_token: 'rt' }), options)).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresAt: 60_000,
      obtainedAt: 0,
      issuedTokenType: ACCESS_TOKEN_TYPE,
    });
    expect(() => processTokenExchangeResponse(reply(base), options)).toThrow(expect.objectContaining({ code: 'INVALID_RESPONSE' }));
    expect(() =>
      processTokenExchangeResponse(reply({ ...base, issued_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), options),
    ).toThrow(expect.objectContaining({ code: 'INVALID_RESPONSE' }));
  });
});
