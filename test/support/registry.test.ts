import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from './auth-server.js';
import { clientCredentialsToken, signInWithCode } from './fixture-tokens.js';
import { startTestRegistry, type TestRegistry } from './registry.js';
import { runSkopeo, writeAuthFile, writeOciImage, type OciImage } from './skopeo.js';

let auth: AuthServer;
let registry: TestRegistry;
let dir: string;
let image: OciImage;
let accessToken: string;

beforeAll(async () => {
  auth = await startAuthServer();
  registry = await startTestRegistry({ introspect: (token) => auth.introspect(token) });
  dir = await mkdtemp(join(tmpdir(), 'tb-registry-test-'));
  image = await writeOciImage(dir);
  accessToken = (await clientCredentialsToken(auth)).access_token;
  const pushed = await runSkopeo(
    [
      'copy',
      '--dest-cert-dir',
      registry.certDir,
      '--dest-creds',
      `oauth2accesstoken:${accessToken}`,
      image.reference,
      `docker://${registry.host}/test:1`,
    ],
    { dir },
  );
  if (pushed.code !== 0) throw new Error(`push failed: ${pushed.stderr}\n${registry.registryLog()}`);
}, 60_000);

afterAll(async () => {
  await registry?.close();
  await auth?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const inspect = (extra: string[], env?: NodeJS.ProcessEnv) =>
  runSkopeo(['inspect', '--raw', '--cert-dir', registry.certDir, ...extra, `docker://${registry.host}/test:1`], {
    dir,
    ...(env ? { env } : {}),
  });

describe('the registry behind the token server', () => {
  it('took the push with the access token as the password and serves the manifest', async () => {
    const pushes = registry.tokenRequests.filter((request) => request.scopes.some((scope) => scope.includes('push')));
    expect(pushes.at(-1)).toMatchObject({ username: 'oauth2accesstoken', outcome: 'granted' });
    const result = await inspect(['--creds', `oauth2accesstoken:${accessToken}`]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  });

  it('refuses anonymous pulls, a wrong username, and a password that is no active access token', async () => {
    const before = registry.tokenRequests.length;
    expect((await inspect([])).code).not.toBe(0);
    expect((await inspect(['--creds', `someone:${accessToken}`])).code).not.toBe(0);
    expect((await inspect(['--creds', 'oauth2accesstoken:not-a-token'])).code).not.toBe(0);
    const { refresh_token: refreshToken } = await signInWithCode(auth, 'openid api');
    expect(refreshToken).toBeTruthy();
    expect((await inspect(['--creds', `oauth2accesstoken:${refreshToken ?? ''}`])).code).not.toBe(0);
    const reasons = registry.tokenRequests.slice(before).map((request) => request.reason);
    expect(reasons).toEqual(expect.arrayContaining(['no credentials', 'wrong username', 'token not active', 'not an access token']));
    expect(registry.tokenRequests.slice(before).every((request) => request.outcome === 'refused')).toBe(true);
  });

  it('pulls the image back intact', async () => {
    const target = join(dir, 'pulled');
    const result = await runSkopeo(
      [
        'copy',
        '--src-cert-dir',
        registry.certDir,
        '--src-creds',
        `oauth2accesstoken:${accessToken}`,
        `docker://${registry.host}/test:1`,
        `dir:${target}`,
      ],
      { dir },
    );
    expect(result.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(target, 'manifest.json'), 'utf8')) as { layers: { digest: string }[] };
    expect(manifest.layers).toHaveLength(1);
  });
});

describe('skopeo with credHelpers in an auth file', () => {
  /** A stand-in credential helper (a shell script on PATH) that records what it was asked. */
  async function installHelper(name: string, script: string): Promise<string> {
    const bin = join(dir, `bin-${name}`);
    await mkdir(bin, { recursive: true });
    const file = join(bin, `docker-credential-${name}`);
    await writeFile(file, `#!/bin/sh\n${script}\n`);
    await chmod(file, 0o755);
    return bin;
  }

  it('execs docker-credential-NAME from PATH with `get` and the registry host on stdin', async () => {
    const asked = join(dir, 'asked.txt');
    const bin = await installHelper(
      'fixture',
      `echo "$1 $(cat)" >> '${asked}'; printf '{"ServerURL":"%s","Username":"oauth2accesstoken","Secret":"%s"}' "${registry.host}" "$FIXTURE_SECRET"`,
    );
    const authfile = await writeAuthFile(join(dir, 'auth-fixture.json'), { [registry.host]: 'fixture' });
    const result = await inspect(['--authfile', authfile], { PATH: `${bin}:${process.env.PATH ?? ''}`, FIXTURE_SECRET: accessToken });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await readFile(asked, 'utf8')).trim()).toBe(`get ${registry.host}`);
  });

  it('falls through to anonymous access when the helper answers "credentials not found"', async () => {
    const bin = await installHelper('none', 'cat >/dev/null; echo "credentials not found in native keychain"; exit 1');
    const authfile = await writeAuthFile(join(dir, 'auth-none.json'), { [registry.host]: 'none' });
    const before = registry.tokenRequests.length;
    const result = await inspect(['--authfile', authfile], { PATH: `${bin}:${process.env.PATH ?? ''}` });
    // Anonymous: the token server is asked without credentials and refuses; skopeo reports
    // the registry's refusal, not a helper failure.
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toMatch(/credentials not found|docker-credential-none/);
    expect(registry.tokenRequests.slice(before)).toEqual([expect.objectContaining({ reason: 'no credentials' })]);
  });
});
