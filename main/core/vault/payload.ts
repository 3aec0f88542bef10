/**
 * The decrypted vault content: `{ version: 1, accounts: { [name]: AccountSecrets } }`.
 * Validated after decryption too — authenticated bytes can still come from a buggy writer.
 */
import { ACCOUNT_NAME_PATTERN } from '../../shared/accounts.js';
import { formatPath } from '../issues.js';
import type { AccountSecrets } from './types.js';

export const PAYLOAD_VERSION = 1;

// Checked by hand rather than with zod: this runs at every daemon start, and the schema library
// costs a daemon ~3 MB of resident memory for these few fields (issue 15). Like a zod object, a
// check keeps the known fields and drops any other.

const SECRET_MAX = 64 * 1024;
type Problems = string[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string of `min`..`max` characters, or a problem at `path`. */
function text(value: unknown, path: PropertyKey[], problems: Problems, min: number, max: number): string | undefined {
  if (typeof value === 'string' && value.length >= min && value.length <= max) return value;
  problems.push(`${formatPath(path)}: expected a string of ${min} to ${max} characters`);
  return undefined;
}

function finite(value: unknown, path: PropertyKey[], problems: Problems): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  problems.push(`${formatPath(path)}: expected a finite number`);
  return undefined;
}

/** Copies `key` of `from` into `to` when present (undefined counts as absent), checked by `check`. */
function optional<T>(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
  key: string,
  path: PropertyKey[],
  problems: Problems,
  check: (value: unknown, path: PropertyKey[], problems: Problems) => T | undefined,
): void {
  if (from[key] === undefined) return;
  const value = check(from[key], [...path, key], problems);
  if (value !== undefined) to[key] = value;
}

const secretText = (value: unknown, path: PropertyKey[], problems: Problems) => text(value, path, problems, 1, SECRET_MAX);
const shortText = (value: unknown, path: PropertyKey[], problems: Problems) => text(value, path, problems, 1, 256);

function tokenSet(value: unknown, path: PropertyKey[], problems: Problems): Record<string, unknown> | undefined {
  if (!isObject(value)) {
    problems.push(`${formatPath(path)}: expected an object`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  const accessToken = secretText(value.accessToken, [...path, 'accessToken'], problems);
  const tokenType = text(value.tokenType, [...path, 'tokenType'], problems, 1, 64);
  const obtainedAt = finite(value.obtainedAt, [...path, 'obtainedAt'], problems);
  if (accessToken !== undefined) out.accessToken = accessToken;
  if (tokenType !== undefined) out.tokenType = tokenType;
  optional(value, out, 'expiresAt', path, problems, finite);
  optional(value, out, 'scope', path, problems, (v, p, pr) => text(v, p, pr, 0, 8 * 1024));
  optional(value, out, 'refreshToken', path, problems, secretText);
  optional(value, out, 'idToken', path, problems, secretText);
  if (obtainedAt !== undefined) out.obtainedAt = obtainedAt;
  return out;
}

function identity(value: unknown, path: PropertyKey[], problems: Problems): Record<string, unknown> | undefined {
  if (!isObject(value)) {
    problems.push(`${formatPath(path)}: expected an object`);
    return undefined;
  }
  const out: Record<string, unknown> = {};
  const subject = shortText(value.subject, [...path, 'subject'], problems);
  if (subject !== undefined) out.subject = subject;
  optional(value, out, 'username', path, problems, shortText);
  optional(value, out, 'email', path, problems, shortText);
  return out;
}

/**
 * `value` as an account's secrets: a copy with the known fields only, and the problems as
 * `path: message` lines (none when it is fine). Messages name fields, never values.
 */
export function checkAccountSecrets(value: unknown, path: PropertyKey[] = []): { secrets: AccountSecrets; problems: string[] } {
  const problems: Problems = [];
  const out: Record<string, unknown> = {};
  if (!isObject(value)) return { secrets: {}, problems: [`${formatPath(path) || '(root)'}: expected an object`] };
  optional(value, out, 'clientSecret', path, problems, secretText);
  optional(value, out, 'privateKeyPem', path, problems, secretText);
  optional(value, out, 'tokens', path, problems, tokenSet);
  // The account's DPoP private key (PKCS#8 PEM), kept with the tokens bound to it.
  optional(value, out, 'dpopKeyPem', path, problems, secretText);
  optional(value, out, 'signedOut', path, problems, (v, p, pr) => {
    if (v === true) return true;
    pr.push(`${formatPath(p)}: expected true`);
    return undefined;
  });
  optional(value, out, 'identity', path, problems, identity);
  return { secrets: out as AccountSecrets, problems };
}

/** Serializes the vault content; the caller zeroes the returned buffer after encrypting it. */
export function encodePayload(accounts: ReadonlyMap<string, AccountSecrets>): Buffer {
  return Buffer.from(JSON.stringify({ version: PAYLOAD_VERSION, accounts: Object.fromEntries(accounts) }), 'utf8');
}

/** Parses decrypted bytes; `undefined` when they are not a valid payload. */
export function decodePayload(plaintext: Buffer): Map<string, AccountSecrets> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(value) || value.version !== PAYLOAD_VERSION || !isObject(value.accounts)) return undefined;
  const accounts = new Map<string, AccountSecrets>();
  for (const [name, secrets] of Object.entries(value.accounts)) {
    if (!ACCOUNT_NAME_PATTERN.test(name)) return undefined;
    const checked = checkAccountSecrets(secrets, ['accounts', name]);
    if (checked.problems.length > 0) return undefined;
    accounts.set(name, checked.secrets);
  }
  return accounts;
}

/** `T` as a JSON round trip leaves it: no key holds undefined, at any depth. */
export type WithoutUndefined<T> = T extends object ? { [K in keyof T]: WithoutUndefined<Exclude<T[K], undefined>> } : T;

/** Drops keys whose value is undefined (at any depth) so stored objects compare and serialize cleanly. */
export function stripUndefined<T extends object>(value: T): WithoutUndefined<T> {
  return JSON.parse(JSON.stringify(value)) as WithoutUndefined<T>;
}
