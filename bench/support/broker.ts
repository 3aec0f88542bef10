/**
 * Shared steps of the benches that run a real `token-broker serve`: accounts added through the
 * CLI against an oidc-provider fixture, the keychain (or passphrase) environment, small JSON
 * requests over the socket, and wall-clock timing of one-shot commands.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, type Sandbox } from '../../test/integration/support/cli.js';
import type { FixtureInfo } from './remote-auth-server.js';

/** Adds `name` on the fixture's basic client; a password-grant account is signed in (it gets a refresh token). */
export async function addAccount(
  sandbox: Sandbox,
  name: string,
  fixture: FixtureInfo,
  grant: 'client_credentials' | 'password',
  extraArgs: string[] = [],
): Promise<void> {
  const result = await runCli(
    [
      'account',
      'add',
      name,
      '--issuer',
      fixture.issuer,
      '--client-id',
      fixture.clients.basic.clientId,
      '--client-secret-stdin',
      '--grant',
      grant,
      '--scope',
      'api',
      ...(grant === 'password' ? ['--allow-legacy'] : []),
      ...extraArgs,
    ],
    sandbox.env,
    fixture.clients.basic.clientSecret,
  );
  if (result.code !== 0) throw new Error(`account add ${name} failed: ${result.stderr}`);
  if (grant === 'password') {
    const login = await runCli(
      ['login', name, '--username', fixture.user.username, '--password-stdin'],
      sandbox.env,
      fixture.user.password,
    );
    if (login.code !== 0) throw new Error(`login ${name} failed: ${login.stderr}`);
  }
}

/** Under with-secret-service the real keyring is used; elsewhere a passphrase file. */
export async function keyringEnv(sandbox: Sandbox): Promise<NodeJS.ProcessEnv> {
  if (process.env.TOKEN_BROKER_TEST_KEYRING === '1') return {};
  const file = join(sandbox.dir, 'passphrase');
  await writeFile(file, 'bench-passphrase-not-secret\n', { mode: 0o600 });
  return { TOKEN_BROKER_PASSPHRASE_FILE: file };
}

/** One request over the socket; resolves with the status and the parsed JSON body. */
export async function requestJson(socketPath: string, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    request({ socketPath, path, method, headers: { Host: 'broker', 'X-Token-Broker-Client': 'bench' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
    })
      .on('error', reject)
      .end();
  });
}

/** GET that must answer 200; resolves with the body. */
export async function fetchJson(socketPath: string, path: string): Promise<unknown> {
  const { status, body } = await requestJson(socketPath, 'GET', path);
  if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/**
 * Wall time of one process from spawn to exit, with stdout read through a pipe as `$(…)` would
 * (a terminal or /dev/null would take a different path inside node). Rejects on a non-zero exit.
 */
export function wallMs(file: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
    if (stdin !== undefined) child.stdin?.end(stdin);
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(' ')} exited ${code}: ${err.trim()}`)),
    );
  });
}
