/**
 * The account model: the non-secret configuration of one account, as stored in `config.json`.
 * Secrets (client secret, private key, tokens) never appear here; they live in the vault.
 *
 * This zod schema is the single definition: config validation, the published JSON Schema and
 * the API/IPC input validation all derive from it.
 */
import { z } from 'zod';

export const GRANTS = ['authorization_code', 'client_credentials', 'device_code', 'password', 'implicit'] as const;
export type Grant = (typeof GRANTS)[number];

/** Grants that are insecure by today's standards (OAuth 2.0 Security BCP) and need an explicit opt-in. */
export const LEGACY_GRANTS: readonly Grant[] = ['password', 'implicit'];

/** Grants that need a person (browser, device code, password) to obtain the first token. */

/** CLI spelling (`--auth`) → OAuth token endpoint auth method. */
export const CLIENT_AUTH_METHODS = ['basic', 'post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export const ACCOUNT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), { message: 'must be an http(s) URL' });

/**
 * Protocol parameters the engine sets itself; an extra parameter of the same name would
 * override (or be overridden by) the flow, so config.json may not name them.
 */
export const RESERVED_REQUEST_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'scope',
  'grant_type',
  'code',
  'code_verifier',
  'refresh_token',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'username',
  'password',
  'device_code',
] as const;
export type ReservedRequestParam = (typeof RESERVED_REQUEST_PARAMS)[number];
export const MAX_EXTRA_PARAMS = 20;
export const EXTRA_PARAM_NAME = /^[A-Za-z0-9_.~-]{1,64}$/;

/**
 * Provider-specific request parameters (Google `access_type`, Auth0 `audience`, RFC 8707
 * `resource`), sent on the authorization, device authorization and client credentials requests.
 */
export const extraParamsSchema = z
  // Names are checked in the refinement rather than as the record's key schema, so each bad
  // name gets its own message naming it (a key schema answers only "Invalid key in record").
  .record(z.string(), z.string().max(1024))
  .superRefine((params, ctx) => {
    const keys = Object.keys(params);
    if (keys.length > MAX_EXTRA_PARAMS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_EXTRA_PARAMS} extra parameters` });
    for (const key of keys) {
      if (!EXTRA_PARAM_NAME.test(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'parameter names are 1–64 letters, digits, ".", "_", "~" or "-"' });
      } else if ((RESERVED_REQUEST_PARAMS as readonly string[]).includes(key.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is set by the broker itself and cannot be an extra parameter` });
      }
    }
  })
  .meta({
    description:
      'Extra parameters for the authorization, device authorization and client credentials requests, e.g. {"access_type": "offline"} (Google) or {"audience": "https://api.example.com"} (Auth0). Protocol parameters (response_type, client_id, scope, state, …) are not allowed.',
  });

export const providerSchema = z
  .object({
    /** Issuer URL; endpoints are discovered (OpenID Connect Discovery, then RFC 8414). */
    issuer: httpUrl.optional().meta({ description: 'Issuer URL; endpoints are discovered (OpenID Connect Discovery, then RFC 8414).' }),
    authorizationEndpoint: httpUrl.optional().meta({ description: 'Authorization endpoint (RFC 6749 §3.1); overrides discovery.' }),
    tokenEndpoint: httpUrl.optional().meta({ description: 'Token endpoint (RFC 6749 §3.2); overrides discovery.' }),
    deviceAuthorizationEndpoint: httpUrl.optional().meta({ description: 'Device authorization endpoint (RFC 8628 §3.1).' }),
    revocationEndpoint: httpUrl.optional().meta({ description: 'Token revocation endpoint (RFC 7009), used on sign-out.' }),
    extraParams: extraParamsSchema.optional(),
  })
  .strict()
  .refine((p) => p.issuer !== undefined || p.tokenEndpoint !== undefined, {
    message: 'set either issuer (for discovery) or at least tokenEndpoint',
  });
export type ProviderConfig = z.infer<typeof providerSchema>;

export const clientSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(512)
      .meta({ description: 'OAuth client_id. The client secret or private key is kept in the vault, never here.' }),
    auth: z.enum(CLIENT_AUTH_METHODS).default('basic').meta({
      description:
        'Token endpoint authentication: client_secret_basic, client_secret_post, private_key_jwt (RFC 7523) or none (public client with PKCE).',
    }),
    /** `kid` header for private_key_jwt client assertions. */
    keyId: z.string().min(1).max(256).optional(),
  })
  .strict();
export type ClientConfig = z.infer<typeof clientSchema>;

export const gitSchema = z
  .object({
    hosts: z.array(z.string().min(1).max(253)).default([]),
    username: z.string().min(1).max(256).default('oauth2'),
  })
  .strict();

export const accountSchema = z
  .object({
    name: z.string().regex(ACCOUNT_NAME_PATTERN, 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit'),
    /** Provider preset this account was made from (informational: hints and icons). */
    preset: z.string().max(64).optional(),
    provider: providerSchema,
    client: clientSchema,
    grant: z.enum(GRANTS).meta({ description: 'How tokens are obtained. password and implicit are legacy grants and need allowLegacy.' }),
    scopes: z.array(z.string().min(1).max(256)).default([]).meta({ description: 'Default scopes requested.' }),
    /** Loopback redirect URI; `http://127.0.0.1/callback` (no port) means any free port. */
    redirectUri: httpUrl.optional(),
    /** Opt-in for the legacy implicit and password grants. */
    allowLegacy: z.boolean().default(false),
    /** `ask`: every hand-out to a script needs approval in the GUI; denied when headless. */
    approval: z.enum(['auto', 'ask']).default('auto'),
    git: gitSchema.optional(),
  })
  .strict();

export type AccountConfig = z.infer<typeof accountSchema>;
/** What a caller supplies; defaults are filled in by {@link accountSchema}. */
export type AccountInput = z.input<typeof accountSchema>;

export const settingsSchema = z
  .object({
    /** Optional 127.0.0.1 TCP listener for the token API (off by default). */
    tcpListener: z
      .object({ enabled: z.boolean().default(false), port: z.number().int().min(0).max(65535).default(0) })
      .strict()
      .default({ enabled: false, port: 0 }),
    startAtLogin: z.boolean().default(false),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    accounts: z.array(accountSchema).default([]),
    settings: settingsSchema.default({ tcpListener: { enabled: false, port: 0 }, startAtLogin: false }),
  })
  .strict();
export type BrokerConfig = z.infer<typeof configSchema>;

export function isLegacyGrant(grant: Grant): boolean {
  return LEGACY_GRANTS.includes(grant);
}
