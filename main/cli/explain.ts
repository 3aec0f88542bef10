/**
 * Turns a failed command's error into the message the person needs: a parse problem phrased in
 * our terms with "did you mean", and the next step for the places people slip — a mistyped
 * account name, a name that exists (use edit), a provider refusing the client (wrong secret or
 * auth method). Loaded only by the CLI entry's error handler, so the hot path never pays for it;
 * the lookups it makes (account names, the account's auth method) are best effort with a short
 * timeout.
 */
import type { AccountBody } from '../core/api/wire.js';
import { getJson, seg } from './client.js';
import { CliError, usageError } from './exit.js';
import { describeParseProblem, remedyFor, type RemedyContext } from './messages.js';

const LOOKUP_TIMEOUT_MS = 2000;

async function accountNames(): Promise<string[]> {
  try {
    const accounts = await getJson<AccountBody[]>('/v1/accounts', { client: 'token-broker', timeoutMs: LOOKUP_TIMEOUT_MS });
    return accounts.map((a) => a.name);
  } catch {
    return [];
  }
}

/** The account's auth method and status, from the broker; empty when it cannot say. */
async function accountFacts(account: string): Promise<{ auth?: string; status?: string }> {
  try {
    const detail = await getJson<{ status?: string; config?: { client?: { auth?: string } } }>(`/v1/accounts/${seg(account)}`, {
      client: 'token-broker',
      timeoutMs: LOOKUP_TIMEOUT_MS,
    });
    return {
      ...(detail.config?.client?.auth === undefined ? {} : { auth: detail.config.client.auth }),
      ...(detail.status === undefined ? {} : { status: detail.status }),
    };
  } catch {
    return {};
  }
}

/** The error with its message phrased or its remedy appended (same exit code), or the error itself. */
export async function explainError(error: CliError): Promise<CliError> {
  const { problem, account, oauthError } = error.context;
  if (problem !== undefined) return usageError(describeParseProblem(problem.command, problem.problem, problem.options), problem.command);
  if (account === undefined) return error;
  const ctx: RemedyContext = { account };
  if (error.code === 'ACCOUNT_NOT_FOUND') ctx.accounts = await accountNames();
  // A provider refusing the client, or the broker missing the client's secret: the account says which.
  if (oauthError === 'invalid_client' || error.code === 'CONFIG_INVALID') {
    const facts = await accountFacts(account);
    if (facts.auth !== undefined) ctx.auth = facts.auth;
    if (facts.status !== undefined) ctx.status = facts.status;
  }
  const remedy = remedyFor(
    { code: error.code ?? '', message: error.message, ...(oauthError === undefined ? {} : { oauth_error: oauthError }) },
    ctx,
  );
  if (remedy === undefined) return error;
  // The broker's "already exists" is the first sentence of the remedy: replaced, not repeated.
  if (error.code === 'ACCOUNT_EXISTS') return new CliError(remedy, error.exitCode, error.code, error.context);
  return new CliError(`${error.message}\n${remedy}`, error.exitCode, error.code, error.context);
}
