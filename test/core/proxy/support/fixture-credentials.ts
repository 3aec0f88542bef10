/**
 * A ProxyCredentials port backed by real tokens from the fixture authorization server (client
 * credentials grant, optionally DPoP-bound): the broker's role toward the proxy, small enough for
 * the proxy core's own tests. It refreshes when the proxy reports a rejected token that is the
 * current one (the broker's rule), and counts how often it did.
 */
import { createDpopProof, DpopNonceStore, generateDpopKey, sendWithDpop, type DpopKey } from '../../../../main/core/oauth/dpop.js';
import { processTokenResponse, type HttpClient, type ProviderMetadata } from '../../../../main/core/oauth/index.js';
import { buildTokenRequest } from '../../../../main/core/oauth/token-request.js';
import type { ClientAuth } from '../../../../main/core/oauth/types.js';
import type { ProxyCredentials } from '../../../../main/core/proxy/index.js';

export interface FixtureCredentials extends ProxyCredentials {
  /** Tokens fetched so far (1 after the first request). */
  readonly fetches: number;
  readonly key: DpopKey | undefined;
  /** The Authorization value currently handed out. */
  current(): string | undefined;
}

export function fixtureCredentials(
  http: HttpClient,
  metadata: ProviderMetadata,
  client: ClientAuth,
  options: { dpop?: boolean } = {},
): FixtureCredentials {
  const key = options.dpop === true ? generateDpopKey() : undefined;
  const nonces = new DpopNonceStore();
  let token: Promise<string> | undefined;
  let fetches = 0;
  let authorization: string | undefined;

  const fetchToken = async (): Promise<string> => {
    fetches += 1;
    const build = () => buildTokenRequest(metadata, client, { grant_type: 'client_credentials', scope: 'api:read' }, { now: Date.now() });
    const response = key === undefined ? await http.request(await build()) : await sendWithDpop(http, { key, nonces }, build);
    const tokens = processTokenResponse(response, { purpose: 'token endpoint', url: metadata.tokenEndpoint, now: Date.now() });
    authorization = `${key === undefined ? 'Bearer' : 'DPoP'} ${tokens.accessToken}`;
    return tokens.accessToken;
  };

  return {
    key,
    get fetches() {
      return fetches;
    },
    current: () => authorization,
    async authorize({ method, url, rejected }) {
      // Single flight: concurrent callers share one fetch; a rejection of an older token does not refetch.
      if (token === undefined || (rejected !== undefined && rejected === authorization)) token = fetchToken();
      const accessToken = await token;
      if (key === undefined) return { authorization: `Bearer ${accessToken}` };
      const nonce = nonces.get(url);
      return {
        authorization: `DPoP ${accessToken}`,
        dpop: createDpopProof(key, { htm: method, htu: url, accessToken, now: Date.now(), ...(nonce === undefined ? {} : { nonce }) }),
      };
    },
    rememberNonce: (url, nonce) => nonces.remember(url, nonce),
  };
}
