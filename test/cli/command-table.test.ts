/**
 * The command table (main/cli/command-table.ts: did-you-mean and the completion scripts), the
 * options each command really parses, the help texts and the completion scripts must agree: a
 * flag added to a command but not to the table would never be completed or suggested, and one
 * left in the help after it was removed would send people to an error.
 *
 * Each command is run with three stray arguments, which every command refuses while parsing,
 * before any I/O; the refusal carries the names of the options the command parsed with.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS, GLOBAL_FLAGS, topLevelCommands } from '../../main/cli/command-table.js';
import { completionScript, SHELLS } from '../../main/cli/completion.js';
import { CliError } from '../../main/cli/exit.js';
import { HELP } from '../../main/cli/help.js';

type Run = (args: string[]) => Promise<number>;

const MODULES: Record<string, () => Promise<{ run: Run }>> = {
  serve: () => import('../../main/cli/commands/serve.js'),
  status: () => import('../../main/cli/commands/status.js'),
  account: () => import('../../main/cli/commands/account.js'),
  login: () => import('../../main/cli/commands/login.js'),
  token: () => import('../../main/cli/commands/token.js'),
  exec: () => import('../../main/cli/commands/exec.js'),
  logout: () => import('../../main/cli/commands/logout.js'),
  audit: () => import('../../main/cli/commands/audit.js'),
  service: () => import('../../main/cli/commands/service.js'),
  completion: () => import('../../main/cli/commands/completion.js'),
  'kubectl-credential': () => import('../../main/cli/commands/kubectl-credential.js'),
  kubeconfig: () => import('../../main/cli/commands/kubeconfig.js'),
  'git-credential': () => import('../../main/cli/commands/git-credential.js'),
  'dpop-proof': () => import('../../main/cli/commands/dpop-proof.js'),
  proxy: () => import('../../main/cli/commands/proxy.js'),
};

/** The option names a command parses with, from the parse problem its stray arguments cause. */
async function parsedOptions(name: string, passThrough: boolean): Promise<string[]> {
  const [top, ...sub] = name.split(' ');
  const load = MODULES[top as string];
  if (load === undefined) throw new Error(`no module for ${name}`);
  const { run } = await load();
  const args = [...sub, 'stray-1', 'stray-2', 'stray-3', ...(passThrough ? ['--', 'true'] : [])];
  const error = await run(args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, name).toBeInstanceOf(CliError);
  const problem = (error as CliError).context.problem;
  expect(problem?.problem.kind, name).toBe('extra-argument');
  return [...(problem?.options ?? [])].sort();
}

/** `--flag` words in a text (not `--` alone, not inside a longer word), except in other programs' example lines. */
function flagsIn(text: string): string[] {
  const ours = text
    .split('\n')
    .filter((line) => !/\b(git config|kubectl|ssh|sudo|loginctl)\b/.test(line))
    .join('\n');
  return [...ours.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string);
}

describe('command table, parsers, help and completion agree', () => {
  it('every command in the table parses exactly the flags the table lists', async () => {
    for (const spec of COMMANDS) {
      const table = spec.flags.map((f) => f.name).sort();
      expect(await parsedOptions(spec.name, spec.passThrough === true), spec.name).toEqual(table);
    }
  });

  it('every command the CLI knows (main/cli/main.ts) is in the table', async () => {
    const entry = (await import('node:fs')).readFileSync(new URL('../../main/cli/main.ts', import.meta.url), 'utf8');
    const loaders = [...entry.matchAll(/^ {2}'?([a-z_-]+)'?: \(\) => import\(/gm)].map((m) => m[1] as string);
    expect(loaders.filter((name) => !name.startsWith('__')).sort()).toEqual(topLevelCommands().sort());
    expect(Object.keys(MODULES).sort()).toEqual(topLevelCommands().sort());
  });

  it('every command has help that mentions each of its flags and no flag it does not have', () => {
    for (const spec of COMMANDS) {
      const help = HELP[spec.name];
      expect(help, `help for ${spec.name}`).toBeDefined();
      const mentioned = new Set(flagsIn(help as string));
      for (const flag of spec.flags) expect(mentioned.has(flag.name), `${spec.name} --help mentions --${flag.name}`).toBe(true);
      // A help text may point to another command's flag (git-credential → add's --git-host), never to none.
      const known = new Set([...COMMANDS.flatMap((c) => c.flags), ...GLOBAL_FLAGS].map((f) => f.name));
      for (const flag of mentioned) expect(known.has(flag), `${spec.name} --help mentions --${flag}, which no command takes`).toBe(true);
    }
    for (const group of ['account', 'service']) {
      const help = HELP[group] as string;
      for (const spec of COMMANDS.filter((c) => c.name.startsWith(`${group} `))) expect(help, group).toContain(spec.name);
    }
  });

  it('the main help lists every command', () => {
    const main = HELP.main as string;
    for (const spec of COMMANDS) {
      const [top, sub] = spec.name.split(' ');
      // Grouped commands may share a line: `service install|uninstall|status`.
      expect(main.includes(spec.name) || new RegExp(`${top} [a-z|]*\\b${sub}\\b`).test(main), spec.name).toBe(true);
    }
  });

  it('each completion script offers every command, subcommand and flag', () => {
    for (const shell of SHELLS) {
      const script = completionScript(shell);
      for (const spec of COMMANDS) {
        for (const word of spec.name.split(' ')) expect(script, `${shell}: ${spec.name}`).toContain(word);
        for (const flag of spec.flags) expect(script, `${shell}: ${spec.name} --${flag.name}`).toContain(flag.name);
      }
    }
  });
});
