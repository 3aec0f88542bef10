/**
 * The network half of the checks `account add` / `account edit` run before saving (the pure half
 * is main/core/accounts/provider-check.ts): reads the provider's published metadata — or, for an
 * account with explicit endpoints, asks whether those endpoints answer at all — and turns every
 * problem into one `INVALID_REQUEST` naming each setting by its config path and the value that
 * would fix it (`Use provider.issuer = …`). The CLI maps the paths to its flags.
 *
 * Nothing here holds a secret: only public metadata is fetched, with no client authentication.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-3 RFC 8414 §3}, {@link https://openid.net/specs/openid-connect-discovery-1_0.html OpenID Connect Discovery 1.0 §4}
 */
import { insecureUrlProblems, metadataProblems, type CheckedMetadata, type ProviderProblem } from '../accounts/provider-check.js';
import type { AccountConfig } from '../accounts/model.js';
import { invalidInput } from '../issues.js';
import { BrokerError } from '../errors.js';
import { parseJsonObject } from '../oauth/assert.js';
import { discoveryUrls, processDiscoveryResponse } from '../oauth/discovery.js';
import type { HttpClient, HttpResponse } from '../oauth/http.js';
import { safeUrl } from '../oauth/sanitize.js';

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The parts of a discovery document the checks compare, read leniently (validation comes after). */
function checkedMetadata(doc: Record<string, unknown>): CheckedMetadata {
  const out: CheckedMetadata = {};
  const issuer = text(doc.issuer);
  const authorizationEndpoint = text(doc.authorization_endpoint);
  const deviceAuthorizationEndpoint = text(doc.device_authorization_endpoint);
  const grants = stringList(doc.grant_types_supported);
  const methods = stringList(doc.token_endpoint_auth_methods_supported);
  if (issuer !== undefined) out.issuer = issuer;
  if (authorizationEndpoint !== undefined) out.authorizationEndpoint = authorizationEndpoint;
  if (deviceAuthorizationEndpoint !== undefined) out.deviceAuthorizationEndpoint = deviceAuthorizationEndpoint;
  if (grants !== undefined) out.grantTypesSupported = grants;
  if (methods !== undefined) out.tokenEndpointAuthMethodsSupported = methods;
  return out;
}

/**
 * The first discovery document of the issuer (OpenID, then RFC 8414), as published — including one
 * that names another issuer, which is the mistake this check is for.
 */
async function fetchDiscovery(
  issuer: string,
  http: HttpClient,
): Promise<{ response: HttpResponse; url: string; doc: Record<string, unknown> }> {
  for (const url of discoveryUrls(issuer)) {
    const response = await http.request({ method: 'GET', url, headers: { accept: 'application/json' }, purpose: 'discovery endpoint' });
    const doc = response.status === 200 ? parseJsonObject(response) : undefined;
    if (doc !== undefined) return { response, url, doc };
  }
  throw new BrokerError(
    'DISCOVERY_FAILED',
    `No OpenID or OAuth metadata found for issuer ${safeUrl(issuer)} (tried /.well-known/openid-configuration and /.well-known/oauth-authorization-server). Check the issuer URL, or give the endpoints instead.`,
  );
}

/** Any HTTP answer means something listens there; only transport failures (thrown) count. */
async function expectAnswer(url: string | undefined, purpose: string, http: HttpClient): Promise<void> {
  if (url === undefined) return;
  await http.request({ method: 'GET', url, purpose });
}

/** `provider.issuer: The provider calls itself … Use provider.issuer = https://…` */
export function describeProblem(problem: ProviderProblem): string {
  const [first, ...others] = problem.suggestions;
  const fix = first === undefined ? '' : ` Use ${problem.field} = ${first}${others.length === 0 ? '' : ` (or ${others.join(', ')})`}.`;
  return `${problem.field}: ${problem.message}${fix}`;
}

/**
 * Checks an account against its provider before it is saved.
 * @throws BrokerError `INVALID_REQUEST` listing every problem found; the provider's own failures
 *   (`PROVIDER_UNREACHABLE`, `TIMEOUT`, `DISCOVERY_FAILED`) as they come.
 */
export async function probeProvider(account: AccountConfig, http: HttpClient): Promise<void> {
  const provider = account.provider;
  const checked = {
    grant: account.grant,
    auth: account.client.auth,
    ...(provider.issuer === undefined ? {} : { issuer: provider.issuer }),
    ...(provider.authorizationEndpoint === undefined ? {} : { authorizationEndpoint: provider.authorizationEndpoint }),
    ...(provider.tokenEndpoint === undefined ? {} : { tokenEndpoint: provider.tokenEndpoint }),
    ...(provider.deviceAuthorizationEndpoint === undefined ? {} : { deviceAuthorizationEndpoint: provider.deviceAuthorizationEndpoint }),
  };
  const problems = insecureUrlProblems(checked);
  if (problems.length === 0) {
    if (provider.issuer !== undefined) {
      const found = await fetchDiscovery(provider.issuer, http);
      const metadata = checkedMetadata(found.doc);
      problems.push(...metadataProblems(checked, metadata));
      // The rest of the document must be usable too (token endpoint, absolute URLs).
      if (problems.length === 0)
        processDiscoveryResponse(found.response, provider.issuer, { purpose: 'discovery endpoint', url: found.url });
    } else {
      await expectAnswer(provider.tokenEndpoint, 'token endpoint', http);
      await expectAnswer(provider.authorizationEndpoint, 'authorization endpoint', http);
      await expectAnswer(provider.deviceAuthorizationEndpoint, 'device authorization endpoint', http);
    }
  }
  if (problems.length > 0) {
    throw invalidInput('INVALID_REQUEST', `The provider check refused account '${account.name}'`, problems.map(describeProblem), {
      account: account.name,
    });
  }
}
