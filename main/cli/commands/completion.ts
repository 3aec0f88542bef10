/** `token-broker completion bash|zsh|fish`: prints the shell completion script. */
import { parse } from '../args.js';
import { completionScript, SHELLS, type Shell } from '../completion.js';
import { usageError } from '../exit.js';

export async function run(args: string[]): Promise<number> {
  const { positionals } = parse('completion', args, {}, { min: 1, max: 1, names: 'the shell (bash, zsh or fish)' });
  const shell = positionals[0] as Shell;
  if (!SHELLS.includes(shell))
    throw usageError(`Unknown shell '${shell.slice(0, 32)}'; completion knows ${SHELLS.join(', ')}.`, 'completion');
  process.stdout.write(completionScript(shell));
  return Promise.resolve(0);
}
