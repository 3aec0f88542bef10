/**
 * Runs the real `kubectl` (`KUBECTL_PATH`, default /usr/bin/kubectl — 1.32 on the test
 * machines) against a kubeconfig, with a private HOME so its discovery and HTTP caches (and the
 * Cloud SDK dispatcher's server-version cache) never leak between tests.
 *
 * `tty: true` runs it on a pseudo-terminal through util-linux `script`, so client-go sees an
 * interactive session (stdin is a terminal) and tells exec plugins `spec.interactive: true`, as
 * when a person types the command. stdout and stderr then arrive merged on `stdout`.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const KUBECTL = process.env.KUBECTL_PATH ?? '/usr/bin/kubectl';
const SCRIPT = '/usr/bin/script';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Directory for HOME and the kubeconfig; created when missing. */
  dir: string;
  kubeconfig: string;
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
  /** Called with the output so far whenever more arrives (both streams). */
  onOutput?: (text: string) => void;
  timeoutMs?: number;
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9._/=:@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Writes the kubeconfig into `dir` and runs `kubectl ARGS` with it. */
export async function runKubectl(args: string[], options: KubectlOptions): Promise<KubectlResult> {
  const home = join(options.dir, 'kube-home');
  await mkdir(home, { recursive: true });
  const kubeconfigPath = join(options.dir, `kubeconfig-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.yaml`);
  await writeFile(kubeconfigPath, options.kubeconfig, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    HOME: home,
    KUBECONFIG: kubeconfigPath,
    KUBECACHEDIR: join(home, 'cache'),
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
  const [file, argv] = options.tty
    ? [SCRIPT, ['-q', '-e', '-f', '-c', [KUBECTL, ...args].map(shellQuote).join(' '), '/dev/null']]
    : [KUBECTL, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const update = (): void => options.onOutput?.(stdout + stderr);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      update();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      update();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // script(1) turns LF into CRLF on the terminal; callers match on plain lines.
      resolve({ code, stdout: options.tty ? stdout.replace(/\r\n/g, '\n') : stdout, stderr });
    });
  });
}
