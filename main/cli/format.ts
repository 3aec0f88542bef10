/**
 * Pure output formatting for the client commands: token formats, kubectl's ExecCredential and
 * git's credential protocol. No I/O here, so each format is unit-tested.
 *
 * No format can emit a control character from provider data (issue 10): the line-based ones
 * (raw, header, env, git) refuse such a value with exit 1 and `INVALID_RESPONSE`, the JSON ones
 * escape what JSON.stringify leaves raw (output-safety.ts).
 */

import type { IdTokenBody, TokenBody } from '../core/api/wire.js';
import { requireSafeValue, safeJsonStringify } from './output-safety.js';

// Type-only: erased from the bundle, so the token path still loads none of the core.
export type { IdTokenBody, TokenBody };

/** The token's expiry in epoch seconds, as `exec` and `--format env` export it (aws-vault's habit). */
export const EXPIRES_AT_VARIABLE = 'TOKEN_BROKER_EXPIRES_AT';

export const TOKEN_FORMATS = ['raw', 'json', 'header', 'env'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

/** `Bearer` / `DPoP` regardless of the provider's casing (RFC 6750 §4, RFC 9449 §7.1: case-insensitive). */
export function authScheme(tokenType: string): string {
  const lower = tokenType.toLowerCase();
  return lower === 'bearer' ? 'Bearer' : lower === 'dpop' ? 'DPoP' : tokenType;
}

/** Quotes a value for POSIX sh only when it needs it. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9._~+/=:@%-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An epoch-seconds field as printed: only ever digits (a broker answering otherwise is refused). */
function seconds(value: number, what: string): string {
  return requireSafeValue(Number.isSafeInteger(value) ? String(value) : '\u0000', what);
}

export function formatToken(body: TokenBody, format: TokenFormat): string {
  switch (format) {
    case 'raw':
      return `${requireSafeValue(body.access_token, 'access token')}\n`;
    case 'json':
      return `${safeJsonStringify(body)}\n`;
    case 'header':
      return `Authorization: ${authScheme(requireSafeValue(body.token_type, 'token type'))} ${requireSafeValue(body.access_token, 'access token')}\n`;
    case 'env':
      // `eval "$(token-broker token work --format env)"` gives the variables `exec` sets.
      return (
        [
          `export ACCESS_TOKEN=${shellQuote(requireSafeValue(body.access_token, 'access token'))}`,
          `export TOKEN_TYPE=${shellQuote(authScheme(requireSafeValue(body.token_type, 'token type')))}`,
          ...(body.expires_at === null ? [] : [`export ${EXPIRES_AT_VARIABLE}=${seconds(body.expires_at, 'expiry')}`]),
        ].join('\n') + '\n'
      );
  }
}

/** `token --id-token`: the ID token in the same formats (a bearer credential for Cloud Run, IAP, …). */
export function formatIdToken(body: IdTokenBody, format: TokenFormat): string {
  switch (format) {
    case 'raw':
      return `${requireSafeValue(body.id_token, 'ID token')}\n`;
    case 'json':
      return `${safeJsonStringify(body)}\n`;
    case 'header':
      return `Authorization: Bearer ${requireSafeValue(body.id_token, 'ID token')}\n`;
    case 'env':
      return `export ID_TOKEN=${shellQuote(requireSafeValue(body.id_token, 'ID token'))}\nexport ${EXPIRES_AT_VARIABLE}=${seconds(body.expires_at, 'expiry')}\n`;
  }
}

/** RFC 3339 UTC timestamp without fractional seconds (what client-go prints). */
export function rfc3339(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Parses git's credential description: `key=value` lines up to a blank line or EOF. Later
 * values win; array keys (`wwwauth[]`) are irrelevant to us and kept as the last one.
 * @see https://git-scm.com/docs/git-credential#IOFMT
 */
export function parseGitCredentialInput(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.replace(/\r$/, '');
    if (trimmed === '') break;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    fields[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return fields;
}

/** git's answer: username and password (the access token), plus the expiry git 2.41+ honours. */
export function gitCredentialAnswer(username: string, body: TokenBody): string {
  // One value per line: a line break in any of them would start another key (git-credential IOFMT).
  const lines = [
    `username=${requireSafeValue(username, 'git username')}`,
    `password=${requireSafeValue(body.access_token, 'access token')}`,
  ];
  if (body.expires_at !== null) lines.push(`password_expiry_utc=${seconds(body.expires_at, 'expiry')}`);
  return `${lines.join('\n')}\n`;
}

/** "in 5m", "in 2h 3m", "expired", "—" for `account list`. */
export function describeExpiry(expiresAt: number | null, nowSeconds: number): string {
  if (expiresAt === null) return '-';
  const left = expiresAt - nowSeconds;
  if (left <= 0) return 'expired';
  if (left < 60) return `in ${left}s`;
  const minutes = Math.floor(left / 60);
  if (minutes < 60) return `in ${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours}h ${minutes % 60}m`;
  return `in ${Math.floor(hours / 24)}d`;
}

/** Left-aligned columns separated by two spaces. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
