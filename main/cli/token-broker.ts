/**
 * `token-broker` command entry. Kept tiny on purpose: it runs on every script call, so each
 * command's code is loaded with a dynamic import only when that command runs (the build is
 * code-split), and the client commands never load the broker, zod, got or keytar.
 */
import { BROKER_VERSION } from '../core/version.js';
import { CliError } from './exit.js';
import { escapeForTerminal } from './output-safety.js';

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

function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  const own = end === -1 ? args : args.slice(0, end);
  return own.includes('--help') || own.includes('-h');
}

async function printHelp(key: string): Promise<void> {
  const { HELP } = await import('./help.js');
  process.stdout.write(HELP[key] ?? HELP.main ?? '');
}

async function main(argv: string[]): Promise<number> {
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    // The remedies (did you mean, invalid_client's two causes …) are loaded only now.
    const explained = error instanceof CliError ? await import('./explain.js').then((m) => m.explainError(error)) : error;
    const exitCode = (explained as { exitCode?: unknown }).exitCode;
    // Messages may quote what the broker or a provider said: shown, never interpreted by the terminal.
    const message = escapeForTerminal(explained instanceof Error ? explained.message : String(explained), { keepLineBreaks: true });
    process.stderr.write(`token-broker: ${message}\n`);
    process.exitCode = typeof exitCode === 'number' ? exitCode : 1;
  },
);
