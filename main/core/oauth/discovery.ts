/**
 * Authorization server metadata: OpenID Connect Discovery and RFC 8414, or explicit endpoints
 * from the account config; cached per issuer.
 * @see {@link https://openid.net/specs/openid-connect-discovery-1_0.html OpenID Connect Discovery 1.0 §4}, {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-3 RFC 8414 §3}
 */
import type { ProviderConfig } from '../accounts/model.js';
import { BrokerError } from '../errors.js';
import { systemClock, type Clock } from '../ports.js';
import {
  isHttpUrl,
  optionalBoolean,
  optionalHttpUrl,
  optionalStringArray,
  parseJsonObject,
  requireString,
  type JsonObject,
  type ResponseContext,
} from './assert.js';
import type { HttpClient, HttpResponse } from './http.js';
import { quoteIssuer, safeUrl } from './sanitize.js';
import type { ProviderMetadata } from './types.js';

/**
 * The discovery URLs to try, in order: OpenID (`<issuer>/.well-known/openid-configuration`),
 * then RFC 8414 with the well-known segment inserted before the issuer's path
 * (`https://host/.well-known/oauth-authorization-server/tenant`).
 * @see {@link https://openid.net/specs/openid-connect-discovery-1_0.html OpenID Connect Discovery 1.0 §4.1}, {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-3.1 RFC 8414 §3.1}
 */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const base = issuer.replace(/\/+$/, '');
  return [`${base}/.well-known/openid-configuration`, `${url.origin}/.well-known/oauth-authorization-server${path}`];
}

/**
 * Validates a discovery document: `issuer` must equal the configured issuer exactly (a
 * mismatch is an `ISSUER_MISMATCH`, the defence against mix-up attacks); `token_endpoint` is
 * required; every endpoint must be an absolute http(s) URL.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-3.3 RFC 8414 §3.3}, {@link https://openid.net/specs/openid-connect-discovery-1_0.html OpenID Connect Discovery 1.0 §4.3}
 */
export function processDiscoveryResponse(response: HttpResponse, expectedIssuer: string, context: ResponseContext): ProviderMetadata {
  const body = parseJsonObject(response, context);
  if (response.status !== 200 || body === undefined) {
    throw new BrokerError(
      'DISCOVERY_FAILED',
      `No usable metadata at ${safeUrl(context.url)} (HTTP ${response.status}${body === undefined ? ', not a JSON object' : ''}).`,
      { status: response.status },
    );
  }
  return metadataFromDocument(body, expectedIssuer, context);
}

function metadataFromDocument(body: JsonObject, expectedIssuer: string, context: ResponseContext): ProviderMetadata {
  let issuer: string;
  let tokenEndpoint: string;
  try {
    issuer = requireString(body, 'issuer', context);
    tokenEndpoint = requireString(body, 'token_endpoint', context);
  } catch (error) {
    throw asDiscoveryFailure(error);
  }
  if (issuer !== expectedIssuer) {
    throw new BrokerError(
      'ISSUER_MISMATCH',
      `The metadata at ${safeUrl(context.url)} names issuer ${quoteIssuer(issuer)}, not the configured ${quoteIssuer(expectedIssuer)}. Set the account's issuer to exactly the provider's (they are compared character by character, a trailing slash included).`,
    );
  }
  try {
    if (!isHttpUrl(tokenEndpoint))
      throw new BrokerError('DISCOVERY_FAILED', `"token_endpoint" in ${safeUrl(context.url)} is not an absolute http(s) URL.`);
    const authorizationEndpoint = optionalHttpUrl(body, 'authorization_endpoint', context);
    const deviceAuthorizationEndpoint = optionalHttpUrl(body, 'device_authorization_endpoint', context);
    const revocationEndpoint = optionalHttpUrl(body, 'revocation_endpoint', context);
    const introspectionEndpoint = optionalHttpUrl(body, 'introspection_endpoint', context);
    const jwksUri = optionalHttpUrl(body, 'jwks_uri', context);
    const userinfoEndpoint = optionalHttpUrl(body, 'userinfo_endpoint', context);
    const issSupported = optionalBoolean(body, 'authorization_response_iss_parameter_supported', context);
    const scopesSupported = optionalStringArray(body, 'scopes_supported', context);
    const parEndpoint = optionalHttpUrl(body, 'pushed_authorization_request_endpoint', context);
    const parRequired = optionalBoolean(body, 'require_pushed_authorization_requests', context);
    const dpopAlgs = optionalStringArray(body, 'dpop_signing_alg_values_supported', context);
    return {
      issuer,
      tokenEndpoint,
      ...(authorizationEndpoint === undefined ? {} : { authorizationEndpoint }),
      ...(deviceAuthorizationEndpoint === undefined ? {} : { deviceAuthorizationEndpoint }),
      ...(revocationEndpoint === undefined ? {} : { revocationEndpoint }),
      ...(introspectionEndpoint === undefined ? {} : { introspectionEndpoint }),
      ...(jwksUri === undefined ? {} : { jwksUri }),
      ...(userinfoEndpoint === undefined ? {} : { userinfoEndpoint }),
      ...(issSupported === undefined ? {} : { authorizationResponseIssParameterSupported: issSupported }),
      ...(scopesSupported === undefined ? {} : { scopesSupported }),
      ...(parEndpoint === undefined ? {} : { pushedAuthorizationRequestEndpoint: parEndpoint }),
      ...(parRequired === undefined ? {} : { requirePushedAuthorizationRequests: parRequired }),
      ...(dpopAlgs === undefined ? {} : { dpopSigningAlgValuesSupported: dpopAlgs }),
    };
  } catch (error) {
    throw asDiscoveryFailure(error);
  }
}

function asDiscoveryFailure(error: unknown): BrokerError {
  if (error instanceof BrokerError && error.code === 'INVALID_RESPONSE') {
    return new BrokerError('DISCOVERY_FAILED', error.message, { cause: error });
  }
  return error instanceof BrokerError ? error : new BrokerError('DISCOVERY_FAILED', 'Invalid provider metadata.', { cause: error });
}

/**
 * Fetches and validates the provider metadata of an issuer: OpenID discovery first, then
 * RFC 8414. A 404 (or any non-JSON answer) moves on to the next URL; a wrong `issuer`
 * stops at once with `ISSUER_MISMATCH`; connection failures propagate (`PROVIDER_UNREACHABLE`,
 * `TIMEOUT`).
 * @throws BrokerError `DISCOVERY_FAILED` when no URL yields a usable document.
 * @see {@link https://openid.net/specs/openid-connect-discovery-1_0.html OpenID Connect Discovery 1.0 §4}, {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-3 RFC 8414 §3}
 */
export async function discoverProvider(issuer: string, http: HttpClient): Promise<ProviderMetadata> {
  if (!isHttpUrl(issuer)) throw new BrokerError('CONFIG_INVALID', 'The issuer must be an absolute http(s) URL.');
  const failures: BrokerError[] = [];
  for (const url of discoveryUrls(issuer)) {
    const context = { purpose: 'discovery endpoint', url };
    const response = await http.request({ method: 'GET', url, headers: { accept: 'application/json' }, purpose: 'discovery endpoint' });
    try {
      return processDiscoveryResponse(response, issuer, context);
    } catch (error) {
      if (error instanceof BrokerError && error.code === 'DISCOVERY_FAILED') {
        failures.push(error);
        continue;
      }
      throw error;
    }
  }
  throw new BrokerError(
    'DISCOVERY_FAILED',
    `No OpenID or OAuth metadata found for issuer ${safeUrl(issuer)} (tried /.well-known/openid-configuration and /.well-known/oauth-authorization-server).`,
    { cause: failures.at(-1) },
  );
}

/**
 * A per-issuer cache of discovered metadata with a TTL; concurrent lookups of one issuer share
 * one request. Failures are not cached.
 */
export class ProviderMetadataCache {
  private readonly entries = new Map<string, { expiresAt: number; value: Promise<ProviderMetadata> }>();
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(options: { ttlMs?: number; clock?: Clock } = {}) {
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.clock = options.clock ?? systemClock;
  }

  /** The cached metadata for an issuer, or the result of `load` (stored on success). */
  get(issuer: string, load: () => Promise<ProviderMetadata>): Promise<ProviderMetadata> {
    const now = this.clock.now();
    const entry = this.entries.get(issuer);
    if (entry !== undefined && entry.expiresAt > now) return entry.value;
    const value = load();
    this.entries.set(issuer, { expiresAt: now + this.ttlMs, value });
    value.catch(() => {
      if (this.entries.get(issuer)?.value === value) this.entries.delete(issuer);
    });
    return value;
  }

  delete(issuer: string): void {
    this.entries.delete(issuer);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The metadata for an account's provider: discovered (and cached) when an issuer is set, with
 * explicitly configured endpoints taking precedence; else built from the explicit endpoints.
 * @throws BrokerError `CONFIG_INVALID` when neither an issuer nor a token endpoint is set.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-3 RFC 8414 §3}
 */
export async function resolveProviderMetadata(
  provider: ProviderConfig,
  http: HttpClient,
  cache?: ProviderMetadataCache,
): Promise<ProviderMetadata> {
  const explicit = {
    ...(provider.authorizationEndpoint === undefined ? {} : { authorizationEndpoint: provider.authorizationEndpoint }),
    ...(provider.tokenEndpoint === undefined ? {} : { tokenEndpoint: provider.tokenEndpoint }),
    ...(provider.deviceAuthorizationEndpoint === undefined ? {} : { deviceAuthorizationEndpoint: provider.deviceAuthorizationEndpoint }),
    ...(provider.revocationEndpoint === undefined ? {} : { revocationEndpoint: provider.revocationEndpoint }),
    ...(provider.userinfoEndpoint === undefined ? {} : { userinfoEndpoint: provider.userinfoEndpoint }),
  };
  const issuer = provider.issuer;
  if (issuer !== undefined) {
    const discovered =
      cache === undefined ? await discoverProvider(issuer, http) : await cache.get(issuer, () => discoverProvider(issuer, http));
    return { ...discovered, ...explicit };
  }
  if (explicit.tokenEndpoint === undefined) {
    throw new BrokerError('CONFIG_INVALID', 'The provider needs an issuer (for discovery) or at least a token endpoint.');
  }
  return { ...explicit, tokenEndpoint: explicit.tokenEndpoint };
}
