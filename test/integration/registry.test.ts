/**
 * Container registries with Token Broker as the credential helper: Debian's docker-registry with
 * token auth, whose token server takes the access token as the password and checks it by
 * introspection at the fixture (test/support/registry.ts), and real skopeo configured with
 * `credHelpers` in an auth file, which execs `docker-credential-token-broker` from PATH.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAuthServer, useFixture } from '../support/fixtures.js';
import { startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runSkopeo, writeAuthFile, writeOciImage } from '../support/skopeo.js';
import { binDir, runCli, useSandbox, useServe } from './support/cli.js';

const server = useAuthServer();
const sandbox = useSandbox();
const broker = useServe(sandbox);
const registry = useFixture<TestRegistry>({
  name: 'test registry',
  scope: 'file',
  setup: () => startTestRegistry({ introspect: (token) => server.introspect(token) }),
  teardown: (started) => started.close(),
});

const cli = (args: string[], stdin?: string) => runCli(args, sandbox.env, stdin);

/** Runs the helper bin as docker and skopeo do: `docker-credential-token-broker ACTION`, the request on stdin. */
async function helper(action: string, stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = join(await binDir(), 'docker-credential-token-broker');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [action], { env: sandbox.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** skopeo with the helper on PATH and the broker's home and socket in its environment (it passes both on). */
async function skopeo(args: string[]) {
  return runSkopeo(args, {
    dir: sandbox.dir,
    env: { PATH: `${await binDir()}:${process.env.PATH ?? ''}`, TOKEN_BROKER_HOME: sandbox.home, TOKEN_BROKER_SOCKET: sandbox.socketPath },
  });
}

async function authFile(hosts: string[]): Promise<string> {
  return writeAuthFile(join(sandbox.dir, `auth-${hosts.length}.json`), Object.fromEntries(hosts.map((host) => [host, 'token-broker'])));
}

describe('docker-credential-token-broker', () => {
  it('is configured with account add --registry and answers get with the access token', async () => {
    const added = await cli(
      [
        'account',
        'add',
        'registry',
        '--issuer',
        server.issuer,
        '--client-id',
        server.clients.basic.clientId,
        '--client-secret-stdin',
        '--grant',
        'client_credentials',
        '--scope',
        'api',
        '--registry',
        registry.host,
        '--registry',
        'ghcr.io',
        '--registry-username',
        'oauth2accesstoken',
      ],
      server.clients.basic.clientSecret,
    );
    expect(added.code).toBe(0);
    const answer = await helper('get', `${registry.host}\n`);
    expect(answer.stderr).toBe('');
    expect(answer.code).toBe(0);
    const credential = JSON.parse(answer.stdout) as { ServerURL: string; Username: string; Secret: string };
    expect(credential.ServerURL).toBe(registry.host);
    expect(credential.Username).toBe('oauth2accesstoken');
    expect(await server.introspect(credential.Secret)).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(JSON.parse((await helper('list', '')).stdout)).toEqual({ [registry.host]: 'oauth2accesstoken', 'ghcr.io': 'oauth2accesstoken' });
  });

  it('answers unknown hosts with the protocol’s “credentials not found”, and refuses store and erase', async () => {
    expect(await helper('get', 'quay.io\n')).toEqual({ code: 1, stdout: 'credentials not found in native keychain\n', stderr: '' });
    expect((await helper('get', '\n')).stdout).toBe('no credentials server URL\n');
    const store = await helper('store', JSON.stringify({ ServerURL: registry.host, Username: 'u', Secret: 'typed-password' }));
    expect(store.code).toBe(1);
    expect(store.stdout).toContain('token-broker does not store registry passwords');
    const erase = await helper('erase', `${registry.host}\n`);
    expect(erase.code).toBe(1);
    expect(erase.stdout).toContain('token-broker does not erase registry credentials');
    expect((await helper('frobnicate', '')).code).toBe(1);
  });

  it('lets skopeo push and pull through credHelpers, with the access token as the registry password', async () => {
    const image = await writeOciImage(join(sandbox.dir, 'image'));
    const authfile = await authFile([registry.host]);
    const before = registry.tokenRequests.length;
    const pushed = await skopeo([
      'copy',
      '--authfile',
      authfile,
      '--dest-cert-dir',
      registry.certDir,
      image.reference,
      `docker://${registry.host}/team/app:1`,
    ]);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);

    const inspected = await skopeo([
      'inspect',
      '--raw',
      '--authfile',
      authfile,
      '--cert-dir',
      registry.certDir,
      `docker://${registry.host}/team/app:1`,
    ]);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout)).toMatchObject({ mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    const pulled = await skopeo([
      'copy',
      '--authfile',
      authfile,
      '--src-cert-dir',
      registry.certDir,
      `docker://${registry.host}/team/app:1`,
      `dir:${join(sandbox.dir, 'pulled')}`,
    ]);
    expect(pulled.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(sandbox.dir, 'pulled', 'manifest.json'), 'utf8')) as { layers: unknown[] };
    expect(manifest.layers).toHaveLength(1);

    const asked = registry.tokenRequests.slice(before);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((request) => request.username === 'oauth2accesstoken' && request.outcome === 'granted')).toBe(true);
    // The registry tokens were asked for with the scopes of a push and of a pull.
    expect(asked.some((request) => request.scopes.some((scope) => scope.includes('push')))).toBe(true);
    expect(asked.some((request) => request.scopes.includes('repository:team/app:pull'))).toBe(true);
  });

  it('falls through for a host no account lists: skopeo goes anonymous, and the registry refuses it', async () => {
    // The same registry under another name (its certificate covers localhost): no account lists it.
    const otherName = registry.host.replace('127.0.0.1', 'localhost');
    const authfile = await authFile([registry.host, otherName]);
    const before = registry.tokenRequests.length;
    const result = await skopeo([
      'inspect',
      '--raw',
      '--authfile',
      authfile,
      '--cert-dir',
      registry.certDir,
      `docker://${otherName}/team/app:1`,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toContain('credentials not found');
    expect(result.stderr).not.toContain('docker-credential-token-broker');
    expect(registry.tokenRequests.slice(before)).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'no credentials' })]);
  });

  it('says what to do when the account needs a sign-in, and never writes the token to a log or the audit file', async () => {
    expect((await cli(['logout', 'registry'])).code).toBe(0);
    const answer = await helper('get', `${registry.host}\n`);
    expect(answer.code).toBe(1);
    expect(answer.stdout).toContain("Account 'registry' needs a sign-in");
    const authfile = await authFile([registry.host]);
    const refused = await skopeo([
      'inspect',
      '--raw',
      '--authfile',
      authfile,
      '--cert-dir',
      registry.certDir,
      `docker://${registry.host}/team/app:1`,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('needs a sign-in');

    expect((await cli(['login', 'registry'])).code).toBe(0);
    const secret = (JSON.parse((await helper('get', registry.host)).stdout) as { Secret: string }).Secret;
    const audit = await readFile(join(sandbox.home, 'audit.log'), 'utf8').catch(() => '');
    expect(audit).toContain('"client":"docker-credential-token-broker"');
    expect(audit).not.toContain(secret);
    expect(broker.stderr()).not.toContain(secret);
  });
});
