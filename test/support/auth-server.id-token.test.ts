import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from './auth-server.js';
import { refreshWith, signInWithCode } from './fixture-tokens.js';

let server: AuthServer;

beforeAll(async () => {
  server = await startAuthServer({ idTokenTtlSeconds: 120 });
});

afterAll(async () => {
  await server.close();
});

describe('ID token knobs of the fixture', () => {
  it('issues ID tokens with the configured lifetime, changeable later', async () => {
    const first = decodeJwt((await signInWithCode(server)).id_token ?? '');
    expect((first.exp ?? 0) - (first.iat ?? 0)).toBe(120);
    server.setIdTokenTtl(5);
    try {
      const second = decodeJwt((await signInWithCode(server)).id_token ?? '');
      expect((second.exp ?? 0) - (second.iat ?? 0)).toBe(5);
    } finally {
      server.setIdTokenTtl(120);
    }
  });

  it('returns a new ID token on refresh unless told not to', async () => {
    const signedIn = await signInWithCode(server, 'openid api');
    const refreshed = await refreshWith(server, signedIn.refresh_token ?? '');
    expect(typeof refreshed.id_token).toBe('string');
    expect(decodeJwt(refreshed.id_token ?? '').aud).toBe(server.clients.public.clientId);

    server.setIdTokenOnRefresh(false);
    try {
      const bare = await refreshWith(server, refreshed.refresh_token ?? '');
      expect(bare.id_token).toBeUndefined();
      expect(typeof bare.access_token).toBe('string');
      expect(typeof bare.refresh_token).toBe('string');
      // Sign-in responses keep theirs.
      expect(typeof (await signInWithCode(server)).id_token).toBe('string');
    } finally {
      server.setIdTokenOnRefresh(true);
    }
  });
});
