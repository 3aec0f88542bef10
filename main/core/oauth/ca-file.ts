/**
 * The extra certificate authority named by `TOKEN_BROKER_CA_FILE`: read and checked here, without
 * loading the HTTP client (got) or node:tls, so the daemon can refuse a bad file at start while
 * the client itself loads only with the first provider request.
 */
import { readFileSync } from 'node:fs';
import { BrokerError } from '../errors.js';

/** The CA file the environment names, or undefined (unset or blank). */
export function caFileFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const value = env['TOKEN_BROKER_CA_FILE'];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The PEM text of `file`.
 * @throws BrokerError `CONFIG_INVALID` when it cannot be read or holds no PEM certificate.
 */
export function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    const cause = error instanceof Error ? Object.assign(new Error(error.message), { name: error.name }) : undefined;
    throw new BrokerError('CONFIG_INVALID', `Cannot read the CA file named by TOKEN_BROKER_CA_FILE (${file}).`, {
      ...(cause === undefined ? {} : { cause }),
    });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new BrokerError('CONFIG_INVALID', `The CA file ${file} holds no PEM certificate.`);
  }
  return pem;
}
