/**
 * Another local user for security tests: processes started with `setpriv --reuid=N --regid=N
 * --clear-groups` run as uid/gid {@link OTHER_UID} with no supplementary groups, exactly as a
 * second account on the machine would. Needs root (CI and the dev containers run as root); on a
 * machine where the tests do not run as root, {@link canActAsOtherUser} is false and the suites
 * that need a second user say so in their skip reason.
 *
 * The attacker programs themselves are plain `.mjs` files under test/support/attacker/, readable
 * by everyone, run with the system's node.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An uid no account on the test machines uses. */
export const OTHER_UID = 4242;

const here = dirname(fileURLToPath(import.meta.url));

/** Directory of the attacker programs. */
export const ATTACKER_DIR = join(here, 'attacker');

let usable: boolean | undefined;

/** True when this process may start processes as {@link OTHER_UID} (root with setpriv). */
export function canActAsOtherUser(): boolean {
  if (usable === undefined) {
    usable =
      process.platform === 'linux' &&
      process.getuid?.() === 0 &&
      spawnSync('setpriv', [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', 'true']).status === 0;
  }
  return usable;
}

export interface OtherUserProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern` (the attacker programs report in JSON lines). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  /** SIGTERM, then wait. */
  stop(): Promise<void>;
}

/** Starts `node <attacker program> args…` as {@link OTHER_UID}. */
export function startAsOtherUser(program: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): OtherUserProcess {
  const child = spawn(
    'setpriv',
    [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', process.execPath, join(ATTACKER_DIR, program), ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      // A minimal environment: nothing of ours (HOME, XDG dirs, D-Bus address) leaks to the other user.
      env: { PATH: '/usr/bin:/bin', NO_PROXY: '127.0.0.1,localhost', ...env },
      cwd: '/',
    },
  );
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const wake of waiters) wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const line = out.split('\n').find((candidate) => pattern.test(candidate));
          if (line !== undefined) {
            cleanup();
            resolve(line);
          } else if (done) {
            cleanup();
            reject(new Error(`${program} exited before printing ${pattern}:\n${out}\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern} from ${program}:\n${out}\n${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs an attacker program to completion as {@link OTHER_UID}. */
export async function runAsOtherUser(
  program: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = startAsOtherUser(program, args, env);
  const code = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

/** A fresh directory under the system temp directory, owned by {@link OTHER_UID} with `mode`. */
export async function otherUsersDirectory(mode = 0o755): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tb-other-'));
  await chown(dir, OTHER_UID, OTHER_UID);
  await chmod(dir, mode);
  return dir;
}

/** Parses the JSON line an attacker program printed. */
export function report<T>(line: string): T {
  return JSON.parse(line) as T;
}
