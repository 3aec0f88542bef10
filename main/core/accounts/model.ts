/**
 * The account model: the non-secret configuration of one account, as stored in `config.json`.
 * Secrets (client secret, private key, tokens) never appear here; they live in the vault.
 *
 * This zod schema is the single definition: config validation, the published JSON Schema and
 * the API/IPC input validation all derive from it. The facts it is built from (grant and client
 * auth names, name and parameter rules, limits) live in main/shared, where the CLI, the IPC
 * contract and the renderer read them too.
 */
import * as z from 'zod';
import {
  ACCOUNT_LIMITS,
  ACCOUNT_NAME_PATTERN,
  ACCOUNT_NAME_RULE,
  DEFAULT_IDLE_AFTER_HOURS,
  DPOP_MODES,
  IDLE_AFTER_HOURS_LIMITS,
  PROACTIVE_REFRESH_MODES,
} from '../../shared/accounts.js';
import { LISTEN_ADDRESS_RULE, parseListenAddress } from '../../shared/proxy-listen.js';
import { CLIENT_AUTH_METHODS } from '../../shared/client-auth.js';
import { KUBERNETES_TOKEN_TYPES, normalizeRegistryHost } from '../../shared/consumers.js';
import { GRANTS } from '../../shared/grants.js';
import {
  EXTRA_PARAM_NAME,
  EXTRA_PARAM_NAME_RULE,
  isReservedRequestParam,
  MAX_EXTRA_PARAM_VALUE_LENGTH,
  MAX_EXTRA_PARAMS,
} from '../../shared/request-params.js';

const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), { message: 'must be an http(s) URL' });

/**
 * Provider-specific request parameters (Google `access_type`, Auth0 `audience`, RFC 8707
 * `resource`), sent on the authorization, device authorization and client credentials requests.
 */
export const extraParamsSchema = z
  // Names are checked in the refinement rather than as the record's key schema, so each bad
  // name gets its own message naming it (a key schema answers only "Invalid key in record").
  .record(z.string(), z.string().max(MAX_EXTRA_PARAM_VALUE_LENGTH))
  .superRefine((params, ctx) => {
    const keys = Object.keys(params);
    if (keys.length > MAX_EXTRA_PARAMS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_EXTRA_PARAMS} extra parameters` });
    for (const key of keys) {
      if (!EXTRA_PARAM_NAME.test(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: EXTRA_PARAM_NAME_RULE });
      } else if (isReservedRequestParam(key)) {
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
    userinfoEndpoint: httpUrl.optional().meta({
      description:
        'UserInfo endpoint (OpenID Connect Core §5.3) that names the signed-in user when no ID token does; overrides discovery. GitHub: https://api.github.com/user.',
    }),
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
      .max(ACCOUNT_LIMITS.clientId)
      .meta({ description: 'OAuth client_id. The client secret or private key is kept in the vault, never here.' }),
    auth: z.enum(CLIENT_AUTH_METHODS).default('basic').meta({
      description:
        'Token endpoint authentication: client_secret_basic, client_secret_post, private_key_jwt (RFC 7523) or none (public client with PKCE).',
    }),
    /** `kid` header for private_key_jwt client assertions. */
    keyId: z.string().min(1).max(ACCOUNT_LIMITS.keyId).optional(),
  })
  .strict();
export type ClientConfig = z.infer<typeof clientSchema>;

export const gitSchema = z
  .object({
    hosts: z.array(z.string().min(1).max(ACCOUNT_LIMITS.gitHost)).default([]),
    username: z.string().min(1).max(ACCOUNT_LIMITS.gitUsername).default('oauth2'),
  })
  .strict();

export const refreshSchema = z
  .object({
    proactive: z.enum(PROACTIVE_REFRESH_MODES).default('auto').meta({
      description:
        'When to refresh before expiry: auto (while the account was used within idleAfterHours, and only tokens living a minute or more), always, or never (on demand only).',
    }),
    idleAfterHours: z
      .number()
      .min(IDLE_AFTER_HOURS_LIMITS.min)
      .max(IDLE_AFTER_HOURS_LIMITS.max)
      .optional()
      .meta({
        description: `With proactive auto: hours without a hand-out after which the account is idle (default ${DEFAULT_IDLE_AFTER_HOURS}).`,
      }),
  })
  .strict();

export const kubernetesSchema = z
  .object({
    tokenType: z.enum(KUBERNETES_TOKEN_TYPES).meta({
      description:
        "What `token-broker kubectl-credential` hands out: id_token for clusters that authenticate with OpenID Connect (kube-apiserver --oidc-*, kubelogin setups), access_token for those that take the access token. Default: the preset's choice (OpenID Connect providers: id_token), else id_token when the account requests openid with a grant that yields ID tokens, else access_token.",
    }),
  })
  .strict();

export const registrySchema = z
  .object({
    hosts: z
      .array(
        z
          .string()
          .min(1)
          .max(ACCOUNT_LIMITS.registryHost)
          .refine((host) => normalizeRegistryHost(host) !== undefined, {
            message: 'must be a registry host such as ghcr.io or 127.0.0.1:5000',
          }),
      )
      .min(1)
      .max(ACCOUNT_LIMITS.registryHosts)
      .meta({ description: 'Container registry hosts whose credentials `docker-credential-token-broker` answers with this account.' }),
    username: z.string().min(1).max(ACCOUNT_LIMITS.registryUsername).optional().meta({
      description:
        "Username sent with the access token (the password). Default: the preset's (Google oauth2accesstoken, GitLab oauth2), else oauth2accesstoken.",
    }),
  })
  .strict();

export const accountSchema = z
  .object({
    name: z.string().regex(ACCOUNT_NAME_PATTERN, ACCOUNT_NAME_RULE),
    /** Provider preset this account was made from (informational: hints and icons). */
    preset: z.string().max(ACCOUNT_LIMITS.presetId).optional(),
    provider: providerSchema,
    client: clientSchema,
    grant: z.enum(GRANTS).meta({ description: 'How tokens are obtained. password and implicit are legacy grants and need allowLegacy.' }),
    scopes: z.array(z.string().min(1).max(ACCOUNT_LIMITS.scope)).default([]).meta({ description: 'Default scopes requested.' }),
    /** Loopback redirect URI; `http://127.0.0.1/callback` (no port) means any free port. */
    redirectUri: httpUrl.optional(),
    /** Opt-in for the legacy implicit and password grants. */
    allowLegacy: z.boolean().default(false),
    /** `ask`: every hand-out to a script needs approval in the GUI; denied when headless. */
    approval: z.enum(['auto', 'ask']).default('auto'),
    git: gitSchema.optional(),
    refresh: refreshSchema.optional(),
    kubernetes: kubernetesSchema.optional(),
    registry: registrySchema.optional(),
    dpop: z.enum(DPOP_MODES).default('auto').meta({
      description:
        'DPoP sender-constrained tokens (RFC 9449): auto = when the provider advertises dpop_signing_alg_values_supported, on = always (a Bearer token is refused), off = never. The key pair stays in the vault.',
    }),
    tokenExchange: z
      .object({
        audiences: z
          .array(z.string().min(1).max(ACCOUNT_LIMITS.exchangeAudience))
          .min(1)
          .max(ACCOUNT_LIMITS.exchangeAudiences)
          .meta({ description: 'Audiences and resources a token exchange may ask for; anything else is refused.' }),
      })
      .strict()
      .optional()
      .meta({ description: 'Token exchange (RFC 8693) for this account: GET /v1/accounts/NAME/token?audience=…&resource=….' }),
  })
  .strict();

export type AccountConfig = z.infer<typeof accountSchema>;
/** What a caller supplies; defaults are filled in by {@link accountSchema}. */
export type AccountInput = z.input<typeof accountSchema>;

export const settingsSchema = z
  .object({
    /** Optional 127.0.0.1 TCP listener for the token API (off by default). */
    tcpListener: z
      .object({
        enabled: z.boolean().default(false),
        port: z.number().int().min(0).max(65535).default(0),
        required: z.boolean().optional().meta({
          description:
            '`serve` exits (status 1) when the listener cannot bind its port, instead of running without it (the key is revoked either way).',
        }),
      })
      .strict()
      .default({ enabled: false, port: 0 }),
    startAtLogin: z.boolean().default(false),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

/** An authenticating proxy the app and `serve` run (README, "The proxy"). */
export const proxySchema = z
  .object({
    account: z.string().regex(ACCOUNT_NAME_PATTERN, ACCOUNT_NAME_RULE).meta({ description: 'The account whose tokens the proxy adds.' }),
    upstream: httpUrl
      .refine((value) => !/[?#]/.test(value) && !/^https?:\/\/[^/]*@/i.test(value), {
        message: 'must have no credentials, query or fragment',
      })
      .meta({ description: 'Where requests go, e.g. https://api.example.com (a path is a prefix for every request).' }),
    listen: z
      .string()
      .refine((value) => parseListenAddress(value) !== undefined, { message: LISTEN_ADDRESS_RULE })
      .optional()
      .meta({ description: 'Loopback TCP address, e.g. 127.0.0.1:8080.' }),
    socket: z.string().min(1).max(104).optional().meta({ description: 'Unix socket path (in a private directory) instead of TCP.' }),
  })
  .strict()
  .refine((p) => (p.listen === undefined) !== (p.socket === undefined), { message: 'set exactly one of listen and socket' });
export type ProxyConfig = z.infer<typeof proxySchema>;

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    accounts: z.array(accountSchema).default([]),
    proxies: z.array(proxySchema).max(32).default([]).meta({ description: 'Authenticating proxies the app and `serve` run.' }),
    settings: settingsSchema.default({ tcpListener: { enabled: false, port: 0 }, startAtLogin: false }),
  })
  .strict();
export type BrokerConfig = z.infer<typeof configSchema>;
