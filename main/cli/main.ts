/**
 * Every `token-broker` command: help, version and the loader of each command's code (the ESM
 * build is code-split, so a command loads only its own chunk). The bin itself is
 * ./token-broker.ts, a small CommonJS file that runs the commands scripts call on every use
 * (`token`, `kubectl-credential`, `git-credential`, `exec`) without coming here, and imports this
 * module for everything else.
 */
import { BROKER_VERSION } from '../core/version.js';
import { wantsHelp } from './args.js';
import type { SignInRequest } from './commands/login.js';
import type { CliError } from './exit.js';
import { escapeForTerminal } from './output-safety.js';
import { setSignInLoader } from './sign-in-loader.js';

type Command = (args: string[]) => Promise<number>;

const loaders: Record<string, () => Promise<{ run: Command }>> = {
  serve: () => import('./commands/serve.js'),
  account: () => import('./commands/account.js'),
  login: () => import('./commands/login.js'),
  token: () => import('./commands/token.js'),
  exec: () => import('./commands/exec.js'),
  logout: () => import('./commands/logout.js'),
  'kubectl-credential': () => import('./commands/kubectl-credential.js'),
  'git-credential': () => import('./commands/git-credential.js'),
  kubeconfig: () => import('./commands/kubeconfig.js'),
  status: () => import('./commands/status.js'),
  audit: () => import('./commands/audit.js'),
  service: () => import('./commands/service.js'),
  completion: () => import('./commands/completion.js'),
  'dpop-proof': () => import('./commands/dpop-proof.js'),
  proxy: () => import('./commands/proxy.js'),
  // Hidden: account names for the completion scripts.
  '__complete-accounts': () => import('./commands/complete-accounts.js'),
};

// kubectl-credential's interactive sign-in (./sign-in-loader.ts), for the commands run from here.
setSignInLoader(async () => signIn);

/** The sign-in of `login`, loaded on first use (the lean bin's kubectl-credential calls it through this build). */
export async function signIn(name: string, request: SignInRequest): Promise<number> {
  return (await import('./commands/login.js')).signIn(name, request);
}

/**
 * The error with its remedy (did you mean, invalid_client's two causes …), for the bin's error
 * handler: ./explain.ts and its messages load only when a command failed.
 */
export async function explainError(error: CliError): Promise<CliError> {
  return (await import('./explain.js')).explainError(error);
}

async function printHelp(key: string): Promise<void> {
  const { HELP } = await import('./help.js');
  process.stdout.write(HELP[key] ?? HELP.main ?? '');
}

/** Runs one command line; resolves with the exit code (errors reject, as CliError where they can). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    await printHelp('main');
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    await printHelp(rest[0] === undefined ? 'main' : rest.slice(0, 2).join(' ').trim());
    return 0;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${BROKER_VERSION}\n`);
    return 0;
  }
  const load = loaders[command];
  if (load === undefined) {
    const [{ unknownCommandMessage }, { topLevelCommands }] = await Promise.all([import('./messages.js'), import('./command-table.js')]);
    const message = escapeForTerminal(unknownCommandMessage(command, topLevelCommands()));
    process.stderr.write(`token-broker: ${message}\nRun 'token-broker --help'.\n`);
    return 2;
  }
  if (wantsHelp(rest)) {
    const grouped = (command === 'account' || command === 'service') && rest[0] !== undefined && !rest[0].startsWith('-');
    const sub = grouped ? `${command} ${rest[0] as string}` : command;
    await printHelp(sub);
    return 0;
  }
  const { run } = await load();
  return run(rest);
}
