/**
 * Runs the real `token-broker` CLI for integration tests: built with the esbuild settings
 * scripts/build.mjs builds dist/cli with (scripts/esbuild-settings.mjs), but into a private
 * directory per test process, so a concurrent `npm run build` (which empties dist/) cannot pull
 * the files from under a running broker. `serve` runs as a real child process on a temp data
 * directory and socket; with the Secret Service of with-secret-service.mjs it uses the real keyring.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli, readPackageVersion } from '../../../scripts/esbuild-settings.mjs';
import { afterAll, beforeAll } from 'vitest';
import { handleOf, useFixture, type FixtureSlot } from '../../support/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
let built: Promise<string> | undefined;

/** Builds the CLI once per test process; resolves to the entry file. */
export function cliPath(): Promise<string> {
  if (process.env.TOKEN_BROKER_IT_CLI) return Promise.resolve(process.env.TOKEN_BROKER_IT_CLI);
  built ??= (async () => {
    // Inside node_modules so `keytar` (external) resolves from the bundle like it does from dist/.
    const outdir = join(root, 'node_modules/.cache/token-broker-it', `${process.pid}-${Date.now()}`);
    const entry = await buildCli(root, await readPackageVersion(root), outdir, { logLevel: 'error' });
    // 'exit' handlers must be synchronous.
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
    return entry;
  })();
  return built;
}

let bins: Promise<string> | undefined;

/**
 * A directory holding `token-broker` and `docker-credential-token-broker` (links to the built
 * bins, made executable), to put on PATH for consumers that exec them by name: kubectl's exec
 * plugin, skopeo's credential helper.
 */
export function binDir(): Promise<string> {
  bins ??= (async () => {
    const entry = await cliPath();
    const dir = join(dirname(entry), 'bin');
    await mkdir(dir, { recursive: true });
    for (const name of ['token-broker', 'docker-credential-token-broker']) {
      const target = join(dirname(entry), `${name}.js`);
      await chmod(target, 0o755);
      await rm(join(dir, name), { force: true });
      await symlink(target, join(dir, name));
    }
    return dir;
  })();
  return bins;
}

export interface Sandbox {
  dir: string;
  home: string;
  socketPath: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** A temp data directory and socket path, and the environment that points the CLI at them. */
export async function createSandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'tb-it-'));
  const home = join(dir, 'home');
  const socketPath = join(dir, 'run', 'broker.sock');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOKEN_BROKER_HOME: home,
    TOKEN_BROKER_SOCKET: socketPath,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    HTTP_PROXY: '',
    HTTPS_PROXY: '',
    http_proxy: '',
    https_proxy: '',
    // A browser must never pop up from a test: the opener finds nothing to run.
    BROWSER: 'true',
    DISPLAY: '',
  };
  delete env.TOKEN_BROKER_PASSPHRASE_FILE;
  return { dir, home, socketPath, env, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr (waits for more output). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startCli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<Running> {
  const child = spawn(process.execPath, [await cliPath(), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    for (const wake of waiters) wake();
  });
  if (stdin !== undefined) child.stdin?.end(stdin);
  else child.stdin?.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(err);
          if (match) {
            cleanup();
            resolve(match);
          } else if (done) {
            cleanup();
            reject(new Error(`process exited before ${pattern} appeared on stderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern} on stderr:\n${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI command to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  const running = await startCli(args, env, stdin);
  const { code } = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

export interface BrokerProcess extends Running {
  socketPath: string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `token-broker serve` and waits until it listens. */
export async function startServe(sandbox: Sandbox, extraEnv: NodeJS.ProcessEnv = {}): Promise<BrokerProcess> {
  const running = await startCli(['serve'], { ...sandbox.env, ...extraEnv });
  await running.waitForStderr(/\[serve\] listening on (.+)\n/, 30_000);
  return {
    ...running,
    socketPath: sandbox.socketPath,
    async stop() {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGTERM');
      return (await running.exited).code;
    },
  };
}

/**
 * A sandbox for the whole file, removed after it. The CLI build starts right away, so it runs
 * beside the other fixtures' start-up rather than after it.
 */
export function useSandbox(): Sandbox {
  cliPath().catch(() => undefined); // the fixture's own await reports a failed build
  return useFixture({
    name: 'useSandbox()',
    scope: 'file',
    setup: async () => (await Promise.all([createSandbox(), cliPath()]))[0],
    teardown: (sandbox) => sandbox.cleanup(),
  });
}

export interface ServedBroker extends BrokerProcess {
  /** Starts `serve` again on the same sandbox, after `stop()` (a restart). */
  start(): Promise<void>;
}

/** `token-broker serve` on the sandbox for the whole file, stopped after it. */
export function useServe(sandbox: Sandbox, extraEnv: NodeJS.ProcessEnv = {}): ServedBroker {
  const slot: FixtureSlot<ServedBroker> = { current: undefined, name: 'useServe()' };
  const start = async (): Promise<void> => {
    slot.current = { ...(await startServe(sandbox, extraEnv)), start };
  };
  beforeAll(start);
  afterAll(async () => {
    await slot.current?.stop();
    slot.current = undefined;
  });
  return handleOf(slot);
}
