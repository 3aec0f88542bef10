/**
 * DPoP in the broker (RFC 9449) against the real fixture and vault: when an account uses it, the
 * key's life (made on first use, kept with the tokens, forgotten with them), proofs bound to the
 * current token, upstream credentials for proxies, and the audit trail.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { usesDpop } from '../../../main/core/broker/dpop-keys.js';
import type { AccountConfig } from '../../../main/core/accounts/model.js';
import { createDpopVerifier } from '../../support/dpop-verifier.js';
import { completeLoginHttp, followStartUrl } from '../../support/login.js';
import { useAuthServers } from '../../support/fixtures.js';
import { addSignedIn, basicSecrets, passwordAccount, signInInteractively, useHarnesses } from './harness.js';

const { server } = useAuthServers(['server'], { dpop: true }, { freshCounters: true });
const { nonces } = useAuthServers(['nonces'], { dpopNonce: true });
const { plain } = useAuthServers(['plain']);
const { pushed } = useAuthServers(['pushed'], { dpop: true, par: 'required' });
const harness = useHarnesses();

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('which accounts use DPoP', () => {
  const account = (dpop: AccountConfig['dpop'], grant: AccountConfig['grant'] = 'client_credentials') => ({ dpop, grant }) as AccountConfig;
  it('auto follows the provider’s ES256 support; on and off decide alone; implicit never', () => {
    const advertises = { tokenEndpoint: 'https://as.example/token', dpopSigningAlgValuesSupported: ['ES256', 'EdDSA'] };
    const rsaOnly = { tokenEndpoint: 'https://as.example/token', dpopSigningAlgValuesSupported: ['PS256'] };
    const silent = { tokenEndpoint: 'https://as.example/token' };
    expect(usesDpop(account('auto'), advertises)).toBe(true);
    expect(usesDpop(account('auto'), rsaOnly)).toBe(false);
    expect(usesDpop(account('auto'), silent)).toBe(false);
    expect(usesDpop(account('on'), silent)).toBe(true);
    expect(usesDpop(account('off'), advertises)).toBe(false);
    expect(usesDpop(account('on', 'implicit'), advertises)).toBe(false);
  });
});

describe('DPoP accounts', () => {
  it('make a key on first use, keep it in the vault across refreshes, and forget it with the tokens', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    const pem = h.vault.get('work')?.dpopKeyPem;
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const first = await h.broker.getToken('work');
    expect(first.tokenType).toBe('DPoP');
    const jkt = ((await server.introspect(first.accessToken)).cnf as { jkt: string }).jkt;
    expect(h.broker.getAccount('work')).toMatchObject({ senderConstrained: true });

    const refreshed = await h.broker.refresh('work');
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(((await server.introspect(refreshed.accessToken)).cnf as { jkt: string }).jkt).toBe(jkt);
    expect(h.vault.get('work')?.dpopKeyPem).toBe(pem);

    await h.broker.logout('work');
    expect(h.vault.get('work')?.dpopKeyPem).toBeUndefined();
    await h.broker.signIn('work', { username: server.user.username, password: server.user.password });
    const next = await h.broker.getToken('work');
    expect(((await server.introspect(next.accessToken)).cnf as { jkt: string }).jkt).not.toBe(jkt);
  });

  it('binds device-flow and code-flow tokens (with PAR) to the key, through server nonces', async () => {
    const h = await harness();
    await h.broker.addAccount({
      name: 'device',
      provider: { issuer: nonces.issuer },
      client: { id: nonces.clients.public.clientId, auth: 'none' },
      grant: 'device_code',
      scopes: ['openid', 'api'],
    });
    await signInInteractively(h.broker, nonces, 'device');
    const device = await h.broker.getToken('device');
    expect(device.tokenType).toBe('DPoP');
    const jkt = ((await nonces.introspect(device.accessToken)).cnf as { jkt: string }).jkt;
    expect(h.vault.get('device')?.dpopKeyPem).toBeDefined();

    await h.broker.addAccount(
      {
        name: 'code',
        provider: { issuer: pushed.issuer },
        client: { id: pushed.clients.post.clientId, auth: 'post' },
        grant: 'authorization_code',
        scopes: ['openid', 'api'],
      },
      { clientSecret: pushed.clients.post.clientSecret },
    );
    const before = pushed.parRequests;
    // The browser gets the broker's one-shot start URL; where it leads is the authorization URL.
    let browserUrl: URL | undefined;
    await signInInteractively(h.broker, pushed, 'code', async (progress) => {
      if (progress.phase !== 'waiting_for_browser') return;
      const started = await followStartUrl(progress.url);
      browserUrl = new URL(started.url);
      await completeLoginHttp(started.url, started.cookie === undefined ? {} : { cookie: started.cookie });
    });
    expect([...(browserUrl?.searchParams.keys() ?? [])].sort()).toEqual(['client_id', 'request_uri']);
    expect(pushed.parRequests).toBe(before + 1);
    const code = await h.broker.getToken('code');
    expect(code.tokenType).toBe('DPoP');
    expect(((await pushed.introspect(code.accessToken)).cnf as { jkt: string }).jkt).not.toBe(jkt);
  });

  it('hands out Bearer tokens with dpop off, and forgets the tokens when the setting changes', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'plain', { dpop: 'off' });
    expect((await h.broker.getToken('plain')).tokenType).toBe('Bearer');
    expect(h.vault.get('plain')?.dpopKeyPem).toBeUndefined();
    await h.broker.updateAccount('plain', passwordAccount(server, 'plain', { dpop: 'auto' }), basicSecrets(server));
    await expect(h.broker.getToken('plain')).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
  });

  it('answers server nonces at the token endpoint (use_dpop_nonce) and remembers them', async () => {
    const h = await harness();
    await addSignedIn(h, nonces, 'strict');
    nonces.resetCounters();
    const handout = await h.broker.refresh('strict');
    expect(handout.tokenType).toBe('DPoP');
    // The nonce from the sign-in is remembered: the refresh needs no second round trip.
    expect(nonces.tokenRequests['refresh_token']).toBe(1);
  });

  it('signs proofs bound to the current token, with a remembered nonce, and audits them', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    const token = await h.broker.getToken('work');
    const verifier = createDpopVerifier();
    const htu = 'https://api.example.test/v1/items';
    const first = await h.broker.dpopProof('work', { htm: 'POST', htu: `${htu}?page=2#x`, nonce: 'server-nonce-1', client: 'deploy.sh' });
    expect(first.expiresAt).toBeGreaterThan(h.clock.now());
    const jkt = ((await server.introspect(token.accessToken)).cnf as { jkt: string }).jkt;
    await expect(
      verifier.verify(first.proof, { method: 'POST', url: htu, accessToken: token.accessToken, boundJkt: jkt }),
    ).resolves.toMatchObject({
      jkt,
      nonce: 'server-nonce-1',
    });
    const again = await h.broker.dpopProof('work', { htm: 'GET', htu: 'https://api.example.test/other' });
    expect(claims(again.proof)).toMatchObject({
      htm: 'GET',
      nonce: 'server-nonce-1',
      ath: createHash('sha256').update(token.accessToken).digest('base64url'),
    });
    expect(claims(again.proof).jti).not.toBe(claims(first.proof).jti);
    expect(h.broker.auditLog({ account: 'work', limit: 2 })).toEqual([
      expect.objectContaining({ client: 'unknown', outcome: 'granted', kind: 'dpop_proof', method: 'GET', host: 'api.example.test' }),
      expect.objectContaining({ client: 'deploy.sh', outcome: 'granted', kind: 'dpop_proof', method: 'POST', host: 'api.example.test' }),
    ]);
    await expect(h.broker.dpopProof('work', { htm: 'GET', htu: 'ftp://x.example/' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('refuses proofs for Bearer accounts', async () => {
    const h = await harness();
    await addSignedIn(h, plain, 'bearer');
    await expect(h.broker.dpopProof('bearer', { htm: 'GET', htu: 'https://api.example.test/' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('not DPoP-bound'),
    });
  });

  it('gives a proxy fresh proofs per request, and one refresh however many requests report the token rejected', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    const upstream = await h.broker.openUpstream('work', 'proxy api.example.test');
    const a = await upstream.authorize({ method: 'GET', url: 'https://api.example.test/a' });
    const b = await upstream.authorize({ method: 'GET', url: 'https://api.example.test/a' });
    expect(a.authorization).toMatch(/^DPoP /);
    expect(b.authorization).toBe(a.authorization);
    expect(a.dpop).not.toBe(b.dpop);
    server.resetCounters();
    const after = await Promise.all(
      Array.from({ length: 5 }, () => upstream.authorize({ method: 'GET', url: 'https://api.example.test/a', rejected: a.authorization })),
    );
    expect(new Set(after.map((answer) => answer.authorization)).size).toBe(1);
    expect(after[0]?.authorization).not.toBe(a.authorization);
    expect(server.tokenRequests['refresh_token']).toBe(1);
    // A late report about the old token does not refresh again.
    await upstream.authorize({ method: 'GET', url: 'https://api.example.test/a', rejected: a.authorization });
    expect(server.tokenRequests['refresh_token']).toBe(1);

    upstream.record({ method: 'GET', host: 'api.example.test', status: 200, outcome: 'granted', caller: { verified: true, uid: 1000 } });
    expect(h.broker.auditLog({ account: 'work', limit: 1 })[0]).toMatchObject({
      client: 'proxy api.example.test',
      kind: 'proxy',
      method: 'GET',
      host: 'api.example.test',
      status: 200,
      caller: { verified: true, uid: 1000 },
    });
  });
});
