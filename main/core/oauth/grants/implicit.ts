import { BrokerError } from '../../errors.js';
import { systemClock, type BrowserOpener, type Clock } from '../../ports.js';
import { startLoopbackListener } from '../../loopback/listener.js';
import { buildAuthorizationUrl } from '../authorization-url.js';
import { callbackExpectations, validateImplicitResponse } from '../callback.js';
import { generateState } from '../pkce.js';
import type { ClientAuth, ProviderMetadata, TokenSet } from '../types.js';
import { openAuthorizationUrl } from './authorization-code.js';

export interface ImplicitParams {
  metadata: ProviderMetadata;
  client: ClientAuth;
  scope?: string;
  /** Provider-specific authorization request parameters. */
  extraParams?: Readonly<Record<string, string>>;
  redirectUri?: string;
  allowLegacy: boolean;
  openBrowser: BrowserOpener;
  onAuthorizationUrl?: (url: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  clock?: Clock;
}

/**
 * Implicit grant (legacy; the Security BCP says SHOULD NOT). Refused with
 * `LEGACY_GRANT_REFUSED` unless the account opted in, before any network or listener. The
 * token arrives in the URL fragment; the loopback page's nonce-allowed script posts it back,
 * and `state` (and `iss` if present) are checked like in the code flow.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.2 RFC 6749 §4.2}, {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-2.1.2 RFC 9700 §2.1.2}, {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3}
 */
export async function implicitGrant(p: ImplicitParams): Promise<TokenSet> {
  if (!p.allowLegacy) {
    throw new BrokerError(
      'LEGACY_GRANT_REFUSED',
      'The implicit grant is a legacy grant and is off for this account; enable "allow legacy" to use it.',
    );
  }
  if (p.metadata.authorizationEndpoint === undefined) {
    throw new BrokerError('CONFIG_INVALID', 'The provider has no authorization endpoint; the implicit grant needs one.');
  }
  const clock = p.clock ?? systemClock;
  const state = generateState();
  const expected = callbackExpectations(p.metadata, state);
  const listener = await startLoopbackListener({
    ...(p.redirectUri === undefined ? {} : { redirectUri: p.redirectUri }),
    mode: 'fragment',
    handle: (params) => validateImplicitResponse(params, expected, clock),
    ...(p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs }),
    ...(p.signal === undefined ? {} : { signal: p.signal }),
  });
  try {
    const url = buildAuthorizationUrl(p.metadata, {
      responseType: 'token',
      clientId: p.client.clientId,
      redirectUri: listener.redirectUri,
      state,
      ...(p.scope === undefined ? {} : { scope: p.scope }),
      ...(p.extraParams === undefined ? {} : { extraParams: p.extraParams }),
    });
    await openAuthorizationUrl(listener.startUrl(url), p.openBrowser, p.onAuthorizationUrl);
    return await listener.result;
  } finally {
    await listener.close();
  }
}
