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
  let result;
  try {
    result = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error), command);
  }
  const count = result.positionals.length;
  if (count < positionals.min) throw usageError(`Missing ${positionals.names}.`, command);
  if (count > positionals.max) throw usageError(`Unexpected argument '${result.positionals[positionals.max] ?? ''}'.`, command);
  return { values: result.values, positionals: result.positionals };
}

/** Parses a whole number of seconds (for --min-ttl). */
export function parseSeconds(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw usageError(`${flag} must be a whole number of seconds.`, command);
  return Number(value);
}
