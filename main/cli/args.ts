/**
 * Argument parsing on node:util's parseArgs (built in, so the hot `token` path loads nothing
 * extra). Parse errors are usage errors (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT, usageError } from './exit.js';
import type { ParseProblem } from './messages.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<V> {
  values: V;
  positionals: string[];
}

export function parse<const O extends Options>(
  command: string,
  args: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
): Parsed<ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']> {
  type Result = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;
  let result: Result;
  try {
    result = args.some((arg) => arg.startsWith('-'))
      ? parseArgs({ args, options, allowPositionals: true, strict: true })
      : (onlyPositionals(args, options) as Result);
  } catch {
    // Node's own text names its parser's internals (and would echo `--client-secret=…` back):
    // find the problem in our terms; the error handler phrases it, with "did you mean".
    throw problemError(command, findProblem(args, options), options);
  }
  const count = result.positionals.length;
  if (count < positionals.min) throw problemError(command, { kind: 'missing-argument', names: positionals.names }, options);
  if (count > positionals.max) {
    throw problemError(command, { kind: 'extra-argument', value: result.positionals[positionals.max] ?? '' }, options);
  }
  return { values: result.values, positionals: result.positionals };
}

/**
 * What parseArgs answers for arguments without a single option: the positionals, and the
 * options' defaults. The hot commands are mostly called like that (`token-broker token NAME`),
 * and parseArgs' own module costs ~1 ms of each such start (issue 15).
 */
function onlyPositionals(args: string[], options: Options): { values: Record<string, unknown>; positionals: string[] } {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(options)) {
    const fallback = options[name]?.default;
    if (fallback !== undefined) values[name] = fallback;
  }
  return { values, positionals: [...args] };
}

function problemError(command: string, problem: ParseProblem, options: Options): CliError {
  return new CliError('invalid command line', EXIT.usage, 'USAGE', { problem: { command, problem, options: Object.keys(options) } });
}

/** What strict parsing refused, found by a lenient pass over the same arguments. */
function findProblem(args: string[], options: Options): ParseProblem {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (spec === undefined) return { kind: 'unknown-option', option: token.name };
    if (spec.type === 'string' && token.value === undefined) return { kind: 'missing-value', option: token.name };
    if (spec.type === 'boolean' && token.value !== undefined) return { kind: 'unexpected-value', option: token.name };
  }
  // A value that starts with a dash (`--scope -x`) is what remains.
  const dashed = tokens.find((t) => t.kind === 'option' && options[t.name]?.type === 'string' && t.value?.startsWith('-') === true);
  return dashed?.kind === 'option' ? { kind: 'missing-value', option: dashed.name } : { kind: 'extra-argument', value: args.join(' ') };
}

/** Parses a whole number of seconds (for --min-ttl). */
export function parseSeconds(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw usageError(`${flag} must be a whole number of seconds.`, command);
  return Number(value);
}

/** Whether `--help`/`-h` comes before any `--` (after it, the words belong to another command). */
export function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  const own = end === -1 ? args : args.slice(0, end);
  return own.includes('--help') || own.includes('-h');
}
