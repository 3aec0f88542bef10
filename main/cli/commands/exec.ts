/** `token-broker exec NAME [--env VAR] -- COMMAND [ARGS...]` */
import { constants } from 'node:os';
import { parse, parseSeconds } from '../args.js';
import { CliError, EXIT, usageError } from '../exit.js';
import { EXPIRES_AT_VARIABLE } from '../format.js';
import { fetchToken } from './token.js';

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export async function run(args: string[]): Promise<number> {
  const dashdash = args.indexOf('--');
  if (dashdash === -1) throw usageError("Put the command after '--': token-broker exec NAME -- COMMAND [ARGS...]", 'exec');
  const own = args.slice(0, dashdash);
  const command = args.slice(dashdash + 1);
  const { values, positionals } = parse(
    'exec',
    own,
    { env: { type: 'string', default: 'ACCESS_TOKEN' }, 'min-ttl': { type: 'string' }, scope: { type: 'string' } },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const variable = values.env;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw usageError(`--env must be a variable name, not '${variable}'.`, 'exec');
  const [file, ...fileArgs] = command;
  if (file === undefined) throw usageError("Missing the COMMAND after '--'.", 'exec');
  const minTtl = parseSeconds('exec', '--min-ttl', values['min-ttl']);

  const body = await fetchToken(
    positionals[0] as string,
    { ...(minTtl === undefined ? {} : { minTtl }), ...(values.scope === undefined ? {} : { scope: values.scope }) },
    `token-broker exec ${file.slice(0, 32)}`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, [variable]: body.access_token };
  // A stale value from an outer `exec` must not survive when this token has no known expiry.
  if (body.expires_at === null) delete env[EXPIRES_AT_VARIABLE];
  else env[EXPIRES_AT_VARIABLE] = String(body.expires_at);
  return runChild(file, fileArgs, env);
}

async function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // Loaded here, not with the bin: node:child_process costs ~5 ms of CPU at every start, and
  // `token`, `kubectl-credential` and `git-credential` run from the same file (issue 15).
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const cleanup = (): void => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        error.code === 'ENOENT'
          ? new CliError(`command not found: ${file}`, 127)
          : new CliError(`cannot run ${file}: ${error.code ?? error.message}`, EXIT.error),
      );
    });
    child.once('exit', (code, signal) => {
      cleanup();
      // The shell convention for a child killed by a signal: 128 + its number.
      resolve(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}
