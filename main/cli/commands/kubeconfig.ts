/**
 * `token-broker kubeconfig NAME --server URL [--ca-file F]`: prints a kubeconfig whose user runs
 * `token-broker kubectl-credential NAME` (main/cli/kubeconfig.ts says what it holds and why).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isAccountName, ACCOUNT_NAME_RULE } from '../../shared/accounts.js';
import { parse } from '../args.js';
import { CliError, EXIT, usageError } from '../exit.js';
import { buildKubeconfig, checkServerUrl, isPemCertificates } from '../kubeconfig.js';

const CA_FILE_MAX_BYTES = 1024 * 1024;

export async function run(args: string[]): Promise<number> {
  const cmd = 'kubeconfig';
  const { values, positionals } = parse(
    cmd,
    args,
    { server: { type: 'string' }, 'ca-file': { type: 'string' } },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const account = positionals[0] as string;
  if (!isAccountName(account)) throw usageError(`The account NAME must be ${ACCOUNT_NAME_RULE}.`, cmd);
  if (values.server === undefined) throw usageError('--server URL is required (the cluster API server, https://…).', cmd);
  const problem = checkServerUrl(values.server);
  if (problem !== undefined) throw usageError(problem, cmd);
  let caPem: string | undefined;
  if (values['ca-file'] !== undefined) {
    const file = values['ca-file'];
    let text: string;
    try {
      const data = await readFile(file);
      if (data.length > CA_FILE_MAX_BYTES)
        throw new CliError(`--ca-file ${file} is larger than 1 MiB; it should hold PEM certificates.`, EXIT.usage, 'USAGE');
      text = data.toString('utf8');
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot read --ca-file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, EXIT.usage, 'USAGE');
    }
    if (!isPemCertificates(text))
      throw usageError(`--ca-file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----), or something else too.`, cmd);
    caPem = text;
  }
  // kubectl starts the plugin with its own environment: a non-default broker must be named in the entry.
  const env: [string, string][] = [];
  for (const variable of ['TOKEN_BROKER_HOME', 'TOKEN_BROKER_SOCKET']) {
    const value = process.env[variable];
    if (value !== undefined && value !== '') env.push([variable, resolve(value)]);
  }
  process.stdout.write(buildKubeconfig({ account, server: values.server, ...(caPem === undefined ? {} : { caPem }), env }));
  return EXIT.ok;
}
