/**
 * The `token-broker` bin. Scripts call `token`, `kubectl-credential`, `git-credential` and
 * `exec` on every use, so those run from this one file, built as CommonJS with their code inside
 * (issue 15): no ESM loader (~9 ms on these machines), no chunks to resolve and read, nothing
 * from the core but a few path helpers, node:child_process only when `exec` starts its child, and
 * on Linux not even node:net: the request goes through blocking libc calls (./blocking-exchange.ts).
 * They write their output synchronously (./output.ts) and the process exits as soon as they are
 * done, sparing Node's environment teardown. Every other command — and `--help` for any —
 * imports the code-split ESM build (./main.ts) and runs there, and the process ends on its own.
 */
import { wantsHelp } from './args.js';
import { preferBlockingExchange } from './client.js';
import { run as execCommand } from './commands/exec.js';
import { run as gitCredential } from './commands/git-credential.js';
import { run as kubectlCredential } from './commands/kubectl-credential.js';
import { run as tokenCommand } from './commands/token.js';
import type { CliError } from './exit.js';
import { escapeForTerminal } from './output-safety.js';
import { writeErr } from './output.js';
import { setSignInLoader, type SignIn } from './sign-in-loader.js';

type Command = (args: string[]) => Promise<number>;

const HOT: Record<string, Command> = {
  token: tokenCommand,
  'kubectl-credential': kubectlCredential,
  'git-credential': gitCredential,
  exec: execCommand,
};

/**
 * The ESM build of every command, next to this file (scripts/esbuild-settings.mjs). A variable,
 * so the bundler leaves the `import()` to run time instead of pulling the whole CLI in here.
 */
const FULL_CLI = './full/token-broker.mjs';

interface FullCli {
  main(argv: string[]): Promise<number>;
  explainError(error: CliError): Promise<CliError>;
  signIn: SignIn;
}

const loadFull = (): Promise<FullCli> => import(FULL_CLI) as Promise<FullCli>;

// kubectl-credential signs in from a terminal with the ESM build's code, not a copy in this file.
setSignInLoader(() => loadFull().then((full) => full.signIn));

/**
 * Reports a failed command and returns its exit code. A CliError (from this file or the ESM
 * build: the same shape, so checked by name) may carry what its remedy is built from — did you
 * mean, the next step — and that code lives in the ESM build, loaded only now.
 */
async function failure(error: unknown): Promise<number> {
  let shown = error;
  if (error instanceof Error && error.name === 'CliError') {
    shown = await loadFull().then(
      (full) => full.explainError(error as CliError),
      () => error,
    );
  }
  const exitCode = (shown as { exitCode?: unknown }).exitCode;
  // Messages may quote what the broker or a provider said: shown, never interpreted by the terminal.
  const message = escapeForTerminal(shown instanceof Error ? shown.message : String(shown), { keepLineBreaks: true });
  writeErr(`token-broker: ${message}\n`);
  return typeof exitCode === 'number' ? exitCode : 1;
}

const [command, ...rest] = process.argv.slice(2);
const hot = command === undefined ? undefined : HOT[command];
if (hot !== undefined && !wantsHelp(rest)) {
  // This process only asks the broker: its request may block the thread (blocking-exchange.ts).
  preferBlockingExchange();
  // Everything is written: leave now (the socket's close and the teardown would only cost time).
  hot(rest).then(
    (code) => process.exit(code),
    async (error: unknown) => process.exit(await failure(error)),
  );
} else {
  // Node 22.1+ keeps V8's compiled code of the modules loaded from here on (the ESM build:
  // serve loads ~400 KB of it) in a cache directory, so the next start skips compiling them.
  // Feature-detected: Node 20 has no compile cache, and the bin still runs there.
  // node:module is loaded here only: the hot commands above do without it.
  import('node:module')
    .then((nodeModule) => (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.())
    .then(loadFull)
    .then((full) => full.main(process.argv.slice(2)))
    .then(
      (code) => {
        process.exitCode = code;
      },
      async (error: unknown) => {
        process.exitCode = await failure(error);
      },
    );
}
