/**
 * Argument parsing on node:util's parseArgs (built in, so the hot `token` path loads nothing
 * extra). Parse errors are usage errors (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './exit.js';

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
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error), command);
  }
  const count = result.positionals.length;
  if (count < positionals.min) throw usageError(`Missing ${positionals.names}.`, command);
  if (count > positionals.max) throw usageError(`Unexpected argument '${result.positionals[positionals.max] ?? ''}'.`, command);
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
