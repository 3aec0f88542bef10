/**
 * The completion scripts in the real shells: each loads without error, registers itself for
 * `token-broker`, and offers the commands, subcommands, options and option values from the
 * command table. Account names (from a running broker) are covered in
 * test/integration/cli-ux.test.ts; here no `token-broker` is on PATH, which must complete to
 * nothing, silently.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { completionScript, SHELLS, type Shell } from '../../main/cli/completion.js';
import { COMMANDS, topLevelCommands } from '../../main/cli/command-table.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-completion-'));
const ZSH_DRIVER = join(dirname(fileURLToPath(import.meta.url)), 'support/zsh-complete.zsh');
// No token-broker on this PATH: the account-name lookup finds nothing.
const env = { PATH: '/usr/bin:/bin', HOME: dir, TERM: 'dumb', LANG: 'C.UTF-8' };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scriptFile(shell: Shell): string {
  const file = join(dir, `token-broker.${shell}`);
  writeFileSync(file, completionScript(shell));
  return file;
}

function sh(file: string, args: string[], input?: string): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(file, args, { env, encoding: 'utf8', timeout: 60_000, ...(input === undefined ? {} : { input }) });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** Candidates bash's completion function offers for `words` (the last is the word being completed). */
function bash(words: string[]): string[] {
  const script = `source ${JSON.stringify(scriptFile('bash'))}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_token_broker
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = sh('bash', ['--norc', '--noprofile', '-c', script]);
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter((l) => l !== '');
}

function fish(line: string): string[] {
  const result = sh('fish', ['--no-config', '-c', `source ${JSON.stringify(scriptFile('fish'))}; complete -C${JSON.stringify(line)}`]);
  expect(result.stderr).toBe('');
  return result.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t')[0] as string);
}

/** Completes several lines in one zsh session (starting zsh and compinit takes a second). */
function zsh(lines: string[]): string[][] {
  const out = join(dir, 'zsh-out');
  rmSync(out, { force: true });
  const result = sh('zsh', ['-f', ZSH_DRIVER, scriptFile('zsh'), out, ...lines]);
  expect(result.status).toBe(0);
  const blocks = readFileSync(out, 'utf8').split('--END--\n').slice(0, -1);
  expect(blocks).toHaveLength(lines.length);
  return blocks.map((block) => [...new Set(block.split('\n').filter((l) => l !== ''))]);
}

const sorted = (list: string[]): string[] => [...list].sort();

describe('completion scripts load in their shells', () => {
  it('bash: bash -n, then complete -p names the function', () => {
    const file = scriptFile('bash');
    expect(sh('bash', ['-n', file])).toMatchObject({ status: 0, stderr: '' });
    const loaded = sh('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(file)} && complete -p token-broker`]);
    expect(loaded).toMatchObject({ status: 0, stderr: '', stdout: 'complete -F _token_broker token-broker\n' });
  });

  it('zsh: zsh -n, then compinit registers it for token-broker', () => {
    const file = scriptFile('zsh');
    expect(sh('zsh', ['-n', file])).toMatchObject({ status: 0, stderr: '' });
    const loaded = sh('zsh', [
      '-f',
      '-c',
      `autoload -Uz compinit && compinit -u -D && source ${JSON.stringify(file)} && print -r -- $_comps[token-broker]`,
    ]);
    expect(loaded).toMatchObject({ status: 0, stderr: '', stdout: '_token_broker\n' });
  });

  it('fish: fish -n, then complete lists it', () => {
    const file = scriptFile('fish');
    expect(sh('fish', ['--no-config', '-n', file])).toMatchObject({ status: 0, stderr: '' });
    const loaded = sh('fish', ['--no-config', '-c', `source ${JSON.stringify(file)}; complete -c token-broker`]);
    expect(loaded.status).toBe(0);
    expect(loaded.stdout).toContain('__token_broker_complete');
  });
});

const tops = sorted([...topLevelCommands(), '--help', '--version']);
const accountSubs = sorted(COMMANDS.filter((c) => c.name.startsWith('account ')).map((c) => c.name.slice(8)));

/** Each shell's answer for each command line, computed in one go per shell. */
function completeAll(shell: Shell, lines: string[]): Map<string, string[]> {
  if (shell === 'zsh') {
    const answers = zsh(lines);
    return new Map(lines.map((line, i) => [line, answers[i] as string[]]));
  }
  return new Map(lines.map((line) => [line, shell === 'bash' ? bash(line.split(' ')) : fish(line)]));
}

const LINES = [
  'token-broker ',
  'token-broker tok',
  'token-broker account ',
  'token-broker account ed',
  'token-broker service ',
  'token-broker token work --fo',
  'token-broker token work --format ',
  'token-broker account add x --grant dev',
  'token-broker account edit work --auth ',
  'token-broker completion ',
  'token-broker status --j',
  'token-broker service install --pass',
  'token-broker token ',
  'token-broker token --format json ',
  'token-broker account list ',
];

describe.each(SHELLS)('%s completes', (shell) => {
  let answers: Map<string, string[]> | undefined;
  const complete = (line: string): string[] => {
    answers ??= completeAll(shell, LINES);
    const answer = answers.get(line);
    if (answer === undefined) throw new Error(`add ${JSON.stringify(line)} to LINES`);
    return answer;
  };

  it('commands and subcommands', () => {
    expect(sorted(complete('token-broker '))).toEqual(tops);
    expect(complete('token-broker tok')).toEqual(['token']);
    expect(sorted(complete('token-broker account '))).toEqual(accountSubs);
    expect(complete('token-broker account ed')).toEqual(['edit']);
    expect(sorted(complete('token-broker service '))).toEqual(['install', 'status', 'uninstall']);
  });

  it("a command's options and their values", () => {
    expect(complete('token-broker token work --fo')).toEqual(['--format']);
    expect(sorted(complete('token-broker token work --format '))).toEqual(['env', 'header', 'json', 'raw']);
    expect(complete('token-broker account add x --grant dev')).toEqual(['device_code']);
    expect(sorted(complete('token-broker account edit work --auth '))).toEqual(['basic', 'none', 'post', 'private_key_jwt']);
    expect(sorted(complete('token-broker completion '))).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('token-broker status --j')).toEqual(['--json']);
    expect(complete('token-broker service install --pass')).toEqual(['--passphrase-file']);
  });

  it('nothing for account names when no broker can be asked, and nothing after the arguments', () => {
    expect(complete('token-broker token ')).toEqual([]);
    expect(complete('token-broker token --format json ')).toEqual([]);
    expect(complete('token-broker account list ')).toEqual([]);
  });
});

describe('bash specifics', () => {
  it('completes --flag=value split at "=" and a command after exec --', () => {
    expect(bash(['token-broker', 'token', 'w', '--format', '=', 'j'])).toEqual(['json']);
    expect(bash(['token-broker', 'exec', 'w', '--', 'bas'])).toContain('bash');
  });
});
