import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from './auth-server.js';
import { clientCredentialsToken, signInWithCode, type FixtureTokenResponse } from './fixture-tokens.js';
import { execKubeconfig, startKubeApiServer, type KubeApiServer } from './kube-api-server.js';
import { runKubectl } from './kubectl.js';

type ExecApiVersion = 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';

let auth: AuthServer;
let kube: KubeApiServer;
let tokens: FixtureTokenResponse;
let dir: string;

beforeAll(async () => {
  auth = await startAuthServer();
  kube = await startKubeApiServer({ issuer: auth.issuer, clientId: auth.clients.public.clientId });
  tokens = await signInWithCode(auth);
  dir = await mkdtemp(join(tmpdir(), 'tb-kube-'));
});

afterAll(async () => {
  await kube?.close();
  await auth?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * A kubeconfig whose exec plugin is a one-line shell script answering with `token` (standing in
 * for the broker, which this self-test must not depend on) and recording KUBERNETES_EXEC_INFO.
 */
function kubeconfigWithToken(
  token: string,
  apiVersion: ExecApiVersion,
  infoFile: string,
  interactiveMode?: 'Never' | 'IfAvailable',
): string {
  const credential = JSON.stringify({ apiVersion, kind: 'ExecCredential', status: { token } });
  // v1 requires interactiveMode; v1beta1 defaults to IfAvailable.
  const mode = interactiveMode ?? (apiVersion.endsWith('/v1') ? 'Never' : undefined);
  return execKubeconfig({
    server: kube.url,
    caFile: kube.caFile,
    apiVersion,
    command: '/bin/sh',
    args: ['-c', 'printf "%s" "$KUBERNETES_EXEC_INFO" > "$INFO_FILE"; printf "%s" "$CREDENTIAL"'],
    env: { CREDENTIAL: credential, INFO_FILE: infoFile },
    ...(mode === undefined ? {} : { interactiveMode: mode }),
  });
}

describe('the OIDC authenticator', () => {
  it('accepts the ID token of the configured client and maps sub to ISSUER#sub', async () => {
    expect(tokens.id_token).toBeTruthy();
    expect(decodeJwt(tokens.id_token ?? '').aud).toBe(auth.clients.public.clientId);
    await expect(kube.authenticate(tokens.id_token ?? '')).resolves.toEqual({ ok: true, username: `${auth.issuer}#alice`, groups: [] });
  });

  it('refuses an opaque access token', async () => {
    await expect(kube.authenticate(tokens.access_token)).resolves.toEqual({ ok: false, reason: 'not a JWT' });
    const cc = await clientCredentialsToken(auth);
    await expect(kube.authenticate(cc.access_token)).resolves.toMatchObject({ ok: false });
  });

  it('refuses an ID token issued to another client (aud)', async () => {
    const other = await startKubeApiServer({ issuer: auth.issuer, clientId: auth.clients.basic.clientId, usernamePrefix: '-' });
    try {
      await expect(other.authenticate(tokens.id_token ?? '')).resolves.toEqual({ ok: false, reason: 'claim aud is invalid' });
    } finally {
      await other.close();
    }
  });

  it('refuses a token whose signature does not verify, and one of another issuer', async () => {
    const [header, payload] = (tokens.id_token ?? '').split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    await expect(kube.authenticate(forged)).resolves.toMatchObject({ ok: false, reason: expect.stringMatching(/^verification failed/) });
    const foreignPayload = Buffer.from(JSON.stringify({ ...decodeJwt(tokens.id_token ?? ''), iss: 'https://elsewhere.example' })).toString(
      'base64url',
    );
    await expect(kube.authenticate(`${header}.${foreignPayload}.x`)).resolves.toEqual({ ok: false, reason: 'issuer does not match' });
  });

  it('refuses an expired ID token', async () => {
    auth.setIdTokenTtl(1);
    let shortLived: FixtureTokenResponse;
    try {
      shortLived = await signInWithCode(auth);
    } finally {
      auth.setIdTokenTtl(3600);
    }
    const exp = decodeJwt(shortLived.id_token ?? '').exp ?? 0;
    await expect(kube.authenticate(shortLived.id_token ?? '')).resolves.toMatchObject({ ok: true });
    // Wait until the token's exp second has passed (a condition, not a timing assertion).
    while (Date.now() / 1000 <= exp) await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(kube.authenticate(shortLived.id_token ?? '')).resolves.toEqual({ ok: false, reason: 'token is expired' });
  });

  it('honours a username prefix and claim', async () => {
    const plain = await startKubeApiServer({ issuer: auth.issuer, clientId: auth.clients.public.clientId, usernamePrefix: 'oidc:' });
    try {
      await expect(plain.authenticate(tokens.id_token ?? '')).resolves.toMatchObject({ ok: true, username: 'oidc:alice' });
    } finally {
      await plain.close();
    }
  });
});

describe.each(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const)(
  'real kubectl with %s',
  (apiVersion) => {
    it('gets /api with the ID token and tells the plugin its apiVersion', async () => {
      const infoFile = join(dir, `info-${apiVersion.split('/')[1]}.json`);
      const result = await runKubectl(['get', '--raw', '/api'], {
        dir,
        kubeconfig: kubeconfigWithToken(tokens.id_token ?? '', apiVersion, infoFile),
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
      expect(JSON.parse(await readFile(infoFile, 'utf8'))).toEqual({ kind: 'ExecCredential', apiVersion, spec: { interactive: false } });
      expect(kube.requests.at(-1)).toMatchObject({ path: '/api', status: 200, username: `${auth.issuer}#alice` });
    });

    it('is refused with the access token', async () => {
      const infoFile = join(dir, 'info-refused.json');
      const before = kube.requests.length;
      const result = await runKubectl(['get', '--raw', '/api'], {
        dir,
        kubeconfig: kubeconfigWithToken(tokens.access_token, apiVersion, infoFile),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Unauthorized|provide credentials/);
      const seen = kube.requests.slice(before);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((request) => request.status === 401 && request.reason === 'not a JWT')).toBe(true);
    });

    it('runs `kubectl auth whoami` as the token’s user', async () => {
      const infoFile = join(dir, 'info-whoami.json');
      const result = await runKubectl(['auth', 'whoami', '-o', 'json'], {
        dir,
        kubeconfig: kubeconfigWithToken(tokens.id_token ?? '', apiVersion, infoFile),
      });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: { userInfo: { username: `${auth.issuer}#alice` } } });
    });
  },
);

describe('kubectl on a terminal', () => {
  it('tells the plugin the session is interactive (IfAvailable), and not with Never', async () => {
    const apiVersion = 'client.authentication.k8s.io/v1';
    const interactiveFile = join(dir, 'info-tty.json');
    const tty = await runKubectl(['get', '--raw', '/api'], {
      dir,
      tty: true,
      kubeconfig: kubeconfigWithToken(tokens.id_token ?? '', apiVersion, interactiveFile, 'IfAvailable'),
    });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toContain('"APIVersions"');
    expect(JSON.parse(await readFile(interactiveFile, 'utf8'))).toMatchObject({ spec: { interactive: true } });

    const neverFile = join(dir, 'info-never.json');
    const never = await runKubectl(['get', '--raw', '/api'], {
      dir,
      tty: true,
      kubeconfig: kubeconfigWithToken(tokens.id_token ?? '', apiVersion, neverFile, 'Never'),
    });
    expect(never.code).toBe(0);
    expect(JSON.parse(await readFile(neverFile, 'utf8'))).toMatchObject({ spec: { interactive: false } });
  });
});
