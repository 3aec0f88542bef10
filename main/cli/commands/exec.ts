/** `token-broker exec NAME [--env VAR] -- COMMAND [ARGS...]` */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parse, parseSeconds } from '../args.js';
import { CliError, EXIT, usageError } from '../exit.js';
import { fetchToken } from './token.js';
import { requireSafeValue } from '../output-safety.js';

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
  return runChild(file, fileArgs, { ...process.env, [variable]: requireSafeValue(body.access_token, 'access token') });
}

function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
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
