/** `token-broker exec NAME [--env VAR] [--id-token-env VAR] -- COMMAND [ARGS...]` */
import { parse, parseSeconds } from '../args.js';
import { CliError, EXIT, usageError } from '../exit.js';
import { EXPIRES_AT_VARIABLE } from '../format.js';
import { requireSafeValue } from '../output-safety.js';
import { fetchIdToken, fetchToken } from '../token-fetch.js';

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export async function run(args: string[]): Promise<number> {
  const dashdash = args.indexOf('--');
  if (dashdash === -1) throw usageError("Put the command after '--': token-broker exec NAME -- COMMAND [ARGS...]", 'exec');
  const own = args.slice(0, dashdash);
  const command = args.slice(dashdash + 1);
  const { values, positionals } = parse(
    'exec',
    own,
    { env: { type: 'string' }, 'id-token-env': { type: 'string' }, 'min-ttl': { type: 'string' }, scope: { type: 'string' } },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  // With --id-token-env alone the command gets only the ID token; --env adds the access token.
  const idVariable = values['id-token-env'];
  const variable = values.env ?? (idVariable === undefined ? 'ACCESS_TOKEN' : undefined);
  for (const [flag, name] of [
    ['--env', variable],
    ['--id-token-env', idVariable],
  ] as const) {
    if (name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw usageError(`${flag} must be a variable name, not '${name}'.`, 'exec');
  }
  if (variable !== undefined && variable === idVariable)
    throw usageError('--env and --id-token-env must name different variables.', 'exec');
  if (variable === undefined && values.scope !== undefined) throw usageError('--scope applies to the access token: add --env VAR.', 'exec');
  const [file, ...fileArgs] = command;
  if (file === undefined) throw usageError("Missing the COMMAND after '--'.", 'exec');
  const minTtl = parseSeconds('exec', '--min-ttl', values['min-ttl']);

  const name = positionals[0] as string;
  const client = `token-broker exec ${file.slice(0, 32)}`;
  const [access, id] = await Promise.all([
    variable === undefined
      ? undefined
      : fetchToken(
          name,
          { ...(minTtl === undefined ? {} : { minTtl }), ...(values.scope === undefined ? {} : { scope: values.scope }) },
          client,
        ),
    idVariable === undefined ? undefined : fetchIdToken(name, minTtl, client),
  ]);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // No control character from provider data reaches the child's environment.
  if (variable !== undefined && access !== undefined) env[variable] = requireSafeValue(access.access_token, 'access token');
  if (idVariable !== undefined && id !== undefined) env[idVariable] = requireSafeValue(id.id_token, 'ID token');
  // When the credentials passed stop working: the sooner of the two. A stale value from an outer
  // `exec` must not survive when that is unknown.
  const expiries = [access?.expires_at, id?.expires_at].filter((at): at is number => typeof at === 'number');
  if (expiries.length === 0) delete env[EXPIRES_AT_VARIABLE];
  else env[EXPIRES_AT_VARIABLE] = String(Math.min(...expiries));
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
      resolve(code ?? 128 + (signal === null ? 0 : (process.getBuiltinModule('node:os').constants.signals[signal] ?? 0)));
    });
  });
}
