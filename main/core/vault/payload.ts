/**
 * The decrypted vault content: `{ version: 1, accounts: { [name]: AccountSecrets } }`.
 * Validated after decryption too — authenticated bytes can still come from a buggy writer.
 */
import * as z from 'zod';
import { ACCOUNT_NAME_PATTERN } from '../../shared/accounts.js';
import type { AccountSecrets } from './types.js';

export const PAYLOAD_VERSION = 1;

const secret = z
  .string()
  .min(1)
  .max(64 * 1024);

export const tokenSetSchema = z.object({
  accessToken: secret,
  tokenType: z.string().min(1).max(64),
  expiresAt: z.number().finite().optional(),
  scope: z
    .string()
    .max(8 * 1024)
    .optional(),
  refreshToken: secret.optional(),
  idToken: secret.optional(),
  obtainedAt: z.number().finite(),
});

export const accountSecretsSchema = z.object({
  clientSecret: secret.optional(),
  privateKeyPem: secret.optional(),
  tokens: tokenSetSchema.optional(),
  signedOut: z.literal(true).optional(),
  identity: z
    .object({
      subject: z.string().min(1).max(256),
      username: z.string().min(1).max(256).optional(),
      email: z.string().min(1).max(256).optional(),
    })
    .optional(),
});

const payloadSchema = z.object({
  version: z.literal(PAYLOAD_VERSION),
  accounts: z.record(z.string().regex(ACCOUNT_NAME_PATTERN), accountSecretsSchema),
});

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
  const parsed = payloadSchema.safeParse(value);
  if (!parsed.success) return undefined;
  // Parsed from JSON, so no value is undefined: zod's `optional()` types merely allow it.
  return new Map(Object.entries(parsed.data.accounts) as [string, WithoutUndefined<ParsedSecrets>][]);
}

type ParsedSecrets = z.infer<typeof accountSecretsSchema>;

/** `T` as a JSON round trip leaves it: no key holds undefined, at any depth. */
export type WithoutUndefined<T> = T extends object ? { [K in keyof T]: WithoutUndefined<Exclude<T[K], undefined>> } : T;

/** Drops keys whose value is undefined (at any depth) so stored objects compare and serialize cleanly. */
export function stripUndefined<T extends object>(value: T): WithoutUndefined<T> {
  return JSON.parse(JSON.stringify(value)) as WithoutUndefined<T>;
}
