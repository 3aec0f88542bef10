import type { ParseProblem } from './messages.js';

/**
 * Exit codes (README.md, "Use it from scripts"): 0 ok, 1 error, 2 usage, 3 needs login, 4 denied.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, needsLogin: 3, denied: 4 } as const;

/** The shell's code for a process stopped by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/**
 * What the error handler may add a remedy from (main/cli/explain.ts, loaded only on error): the
 * account the command was about, the provider's OAuth error, a parse problem.
 */
export interface CliErrorContext {
  account?: string;
  oauthError?: string;
  /** A command line parseArgs refused; the message is built from it off the hot path. */
  problem?: { command: string; problem: ParseProblem; options: readonly string[] };
}

/** An error the CLI reports as one line on stderr and turns into an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly code?: string,
    readonly context: CliErrorContext = {},
  ) {
    super(message);
  }
}

export function usageError(message: string, command?: string): CliError {
  const hint = command === undefined ? "Run 'token-broker --help'." : `Run 'token-broker ${command} --help'.`;
  return new CliError(`${message}\n${hint}`, EXIT.usage, 'USAGE');
}

/** The exit code for an API error code. */
export function exitCodeForApiError(code: string): number {
  switch (code) {
    case 'NEEDS_LOGIN':
      return EXIT.needsLogin;
    case 'DENIED':
      return EXIT.denied;
    // The request itself was wrong (a bad flag value, name or URL): a usage error, not a failure.
    case 'LEGACY_GRANT_REFUSED':
    case 'INVALID_REQUEST':
    case 'CONFIG_INVALID':
    case 'ACCOUNT_EXISTS':
      return EXIT.usage;
    default:
      return EXIT.error;
  }
}
