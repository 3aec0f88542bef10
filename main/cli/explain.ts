/**
 * Adds the next step to an error the broker reported, for the places people slip: a mistyped
 * account name (did you mean), a name that exists (use edit), a provider refusing the client
 * (wrong secret or auth method). Loaded only when a command failed, by the CLI entry's error
 * handler, so the hot path never pays for it; the extra lookups it makes (account names, the
 * account's auth method) are best effort with a short timeout.
 */
import type { AccountBody } from '../core/api/wire.js';
import { getJson, seg } from './client.js';
import { CliError } from './exit.js';
import { remedyFor } from './messages.js';

/** What the explanation needs of the failed command's error. */
export interface Explainable {
  message: string;
  exitCode: number;
  code?: string | undefined;
  /** The account the command was about. */
  account?: string | undefined;
  /** The provider's OAuth `error`, when it answered with one. */
  oauthError?: string | undefined;
}

const LOOKUP_TIMEOUT_MS = 2000;

async function accountNames(): Promise<string[] | undefined> {
  try {
    const accounts = await getJson<AccountBody[]>('/v1/accounts', { client: 'token-broker', timeoutMs: LOOKUP_TIMEOUT_MS });
    return accounts.map((a) => a.name);
  } catch {
    return undefined;
  }
}

async function authMethod(account: string): Promise<string | undefined> {
  try {
    const detail = await getJson<{ config?: { client?: { auth?: string } } }>(`/v1/accounts/${seg(account)}`, {
      client: 'token-broker',
      timeoutMs: LOOKUP_TIMEOUT_MS,
    });
    return detail.config?.client?.auth;
  } catch {
    return undefined;
  }
}

/** The error with its remedy appended (same exit code and error code), or the error itself. */
export async function explain(error: Explainable): Promise<Explainable> {
  if (error.account === undefined) return error;
  const ctx = {
    account: error.account,
    ...(error.code === 'ACCOUNT_NOT_FOUND' ? { accounts: (await accountNames()) ?? [] } : {}),
    ...(error.oauthError === 'invalid_client' ? { auth: await authMethod(error.account) } : {}),
  };
  const remedy = remedyFor(
    { code: error.code ?? '', message: error.message, ...(error.oauthError === undefined ? {} : { oauth_error: error.oauthError }) },
    ctx,
  );
  if (remedy === undefined) return error;
  return new CliError(`${error.message}\n${remedy}`, error.exitCode, error.code);
}
