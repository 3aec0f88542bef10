/**
 * zod schemas for every IPC channel's argument tuple. The renderer is untrusted input: each
 * handler parses its arguments with these before any logic runs, and extra arguments or unknown
 * fields are rejected rather than ignored.
 */
import * as z from 'zod';
import { extraParamsSchema } from '../core/accounts/model.js';
import { formatIssues, invalidInput } from '../core/issues.js';
import {
  ACCOUNT_LIMITS,
  ACCOUNT_NAME_MAX_LENGTH,
  ACCOUNT_NAME_PATTERN,
  DPOP_MODES,
  IDLE_AFTER_HOURS_LIMITS,
  PROACTIVE_REFRESH_MODES,
} from '../shared/accounts.js';
import { CLIENT_AUTH_METHODS } from '../shared/client-auth.js';
import { KUBERNETES_TOKEN_TYPES } from '../shared/consumers.js';
import { GRANTS } from '../shared/grants.js';
import type { IpcChannel } from './contract.js';

const accountName = z.string().max(ACCOUNT_NAME_MAX_LENGTH).regex(ACCOUNT_NAME_PATTERN, 'not a valid account name');
const shortText = z.string().max(2048);
const urlText = z.string().min(1).max(2048);

const draft = z
  .object({
    name: accountName,
    preset: z.string().min(1).max(ACCOUNT_LIMITS.presetId).optional(),
    presetFields: z
      .object({
        tenant: shortText.optional(),
        domain: shortText.optional(),
        issuer: shortText.optional(),
        realm: shortText.optional(),
        baseUrl: shortText.optional(),
        audience: shortText.optional(),
      })
      .strict()
      .optional(),
    issuer: urlText.optional(),
    authorizationEndpoint: urlText.optional(),
    tokenEndpoint: urlText.optional(),
    deviceAuthorizationEndpoint: urlText.optional(),
    revocationEndpoint: urlText.optional(),
    // The account model's own rule: bounded, and no protocol parameter names.
    extraParams: extraParamsSchema.optional(),
    clientId: z.string().min(1).max(ACCOUNT_LIMITS.clientId),
    clientAuth: z.enum(CLIENT_AUTH_METHODS),
    // Room for a PEM private key (private_key_jwt).
    clientSecret: z.string().min(1).max(16_384).optional(),
    keyId: z.string().min(1).max(ACCOUNT_LIMITS.keyId).optional(),
    grant: z.enum(GRANTS),
    scopes: z.array(z.string().min(1).max(ACCOUNT_LIMITS.scope)).max(100),
    redirectUri: urlText.optional(),
    allowLegacy: z.boolean(),
    approval: z.enum(['auto', 'ask']),
    gitHosts: z.array(z.string().min(1).max(ACCOUNT_LIMITS.gitHost)).max(50).optional(),
    gitUsername: z.string().min(1).max(ACCOUNT_LIMITS.gitUsername).optional(),
    refreshPolicy: z.enum(PROACTIVE_REFRESH_MODES).optional(),
    idleAfterHours: z.number().min(IDLE_AFTER_HOURS_LIMITS.min).max(IDLE_AFTER_HOURS_LIMITS.max).optional(),
    registryHosts: z.array(z.string().min(1).max(ACCOUNT_LIMITS.registryHost)).max(ACCOUNT_LIMITS.registryHosts).optional(),
    registryUsername: z.string().min(1).max(ACCOUNT_LIMITS.registryUsername).optional(),
    kubernetesTokenType: z.enum(KUBERNETES_TOKEN_TYPES).optional(),
    dpop: z.enum(DPOP_MODES).optional(),
    exchangeAudiences: z.array(z.string().min(1).max(ACCOUNT_LIMITS.exchangeAudience)).max(ACCOUNT_LIMITS.exchangeAudiences).optional(),
  })
  .strict();

const credentials = z.object({ username: z.string().min(1).max(1024), password: z.string().min(1).max(4096) }).strict();

const approvalId = z.string().min(1).max(200);

const auditFilter = z
  .object({
    account: accountName.optional(),
    client: z.string().min(1).max(256).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

const settingsPatch = z
  .object({
    tcpListener: z
      .object({ enabled: z.boolean(), port: z.number().int().min(0).max(65_535).optional() })
      .strict()
      .optional(),
    startAtLogin: z.boolean().optional(),
  })
  .strict();

const issuerUrl = urlText.refine((value) => /^https?:\/\//i.test(value), 'must be an http(s) URL');

/** Argument tuple schema per channel (trailing optional arguments may be omitted). */
export const IPC_INPUT_SCHEMAS = {
  version: z.tuple([]),
  listAccounts: z.tuple([]),
  listPresets: z.tuple([]),
  checkDiscovery: z.tuple([issuerUrl]),
  addAccount: z.tuple([draft]),
  updateAccount: z.tuple([accountName, draft]),
  renameAccount: z.tuple([accountName, accountName]),
  removeAccount: z.tuple([accountName]),
  signIn: z.tuple([accountName, credentials.optional(), z.strictObject({ allowOtherUser: z.boolean().optional() }).optional()]),
  cancelSignIn: z.tuple([accountName]),
  openVerificationUri: z.tuple([accountName]),
  refresh: z.tuple([accountName]),
  signOut: z.tuple([accountName]),
  copyToken: z.tuple([accountName]),
  tokenDetails: z.tuple([accountName]),
  listApprovals: z.tuple([]),
  answerApproval: z.tuple([approvalId, z.enum(['once', 'hour', 'deny'])]),
  auditLog: z.tuple([auditFilter.optional()]),
  getSettings: z.tuple([]),
  updateSettings: z.tuple([settingsPatch]),
  copyTcpKey: z.tuple([]),
  regenerateTcpKey: z.tuple([]),
} satisfies { readonly [K in IpcChannel]: z.ZodType };

/**
 * Parses a channel's arguments or throws INVALID_REQUEST. The message names the offending
 * argument path and what was expected, never the value (it may be a secret).
 */
export function parseIpcArgs<K extends IpcChannel>(channel: K, args: readonly unknown[]): z.infer<(typeof IPC_INPUT_SCHEMAS)[K]> {
  // Trailing `undefined`s are what optional arguments look like after structured cloning.
  const trimmed = [...args];
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === undefined) trimmed.pop();
  const result = IPC_INPUT_SCHEMAS[channel].safeParse(trimmed);
  if (result.success) return result.data as z.infer<(typeof IPC_INPUT_SCHEMAS)[K]>;
  throw invalidInput('INVALID_REQUEST', `Invalid request to ${channel}`, formatIssues(result.error.issues, ['arguments']));
}
