import { BrokerError } from '../../errors.js';
import { systemClock, type Clock } from '../../ports.js';
import { invalidResponse, optionalHttpUrl, optionalSeconds, requireString, type ResponseContext } from '../assert.js';
import type { DpopBinding } from '../dpop.js';
import type { HttpClient, HttpResponse } from '../http.js';
import { buildEndpointRequest, requestToken, sentCredentials } from '../token-request.js';
import { processJsonResponse } from '../token-response.js';
import type { ClientAuth, DeviceCodeInfo, ProviderMetadata, TokenSet } from '../types.js';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.2: the default polling interval. */
const DEFAULT_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: slow_down adds 5 seconds to the interval. */
const SLOW_DOWN_SECONDS = 5;

/** Waits `ms`, rejecting with CANCELLED when the signal aborts. Injectable for fast tests. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new BrokerError('CANCELLED', 'Sign-in was cancelled.'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new BrokerError('CANCELLED', 'Sign-in was cancelled.'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface DeviceAuthorizationParams {
  http: HttpClient;
  metadata: ProviderMetadata;
  client: ClientAuth;
  scope?: string;
  /** Provider-specific parameters (e.g. Auth0 `audience`) for the device authorization request. */
  extraParams?: Readonly<Record<string, string>>;
  onUserCode: (info: DeviceCodeInfo) => void;
  signal?: AbortSignal;
  clock?: Clock;
  sleep?: Sleep;
  /** The account's DPoP key: every token poll carries a proof (RFC 9449 §5). */
  dpop?: DpopBinding;
}

/** A validated device authorization response. */
export interface DeviceAuthorization extends DeviceCodeInfo {
  deviceCode: string;
}

/**
 * Validates the device authorization response: `device_code`, `user_code`,
 * `verification_uri` (or Google's `verification_url`), `expires_in` required; `interval`
 * defaults to 5 s.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628.html#section-3.2 RFC 8628 §3.2}
 */
export function processDeviceAuthorizationResponse(
  response: HttpResponse,
  context: ResponseContext & { now: number; redact?: ReadonlyArray<string | undefined> },
): DeviceAuthorization {
  const body = processJsonResponse(response, context);
  const deviceCode = requireString(body, 'device_code', context);
  const userCode = requireString(body, 'user_code', context);
  const verificationUri = optionalHttpUrl(body, 'verification_uri', context) ?? optionalHttpUrl(body, 'verification_url', context);
  if (verificationUri === undefined) throw invalidResponse(context, '"verification_uri" is missing');
  const verificationUriComplete = optionalHttpUrl(body, 'verification_uri_complete', context);
  const expiresIn = optionalSeconds(body, 'expires_in', context);
  if (expiresIn === undefined) throw invalidResponse(context, '"expires_in" is missing');
  const interval = optionalSeconds(body, 'interval', context) ?? DEFAULT_INTERVAL_SECONDS;
  return {
    deviceCode,
    userCode,
    verificationUri,
    ...(verificationUriComplete === undefined ? {} : { verificationUriComplete }),
    expiresAt: context.now + expiresIn * 1000,
    interval: Math.max(interval, 1),
  };
}

/**
 * Device authorization grant: requests a device code, hands the user code and verification
 * URIs to `onUserCode`, then polls the token endpoint every `interval` seconds, adding 5 s on
 * `slow_down`, continuing on `authorization_pending`, and stopping on `expired_token`
 * (`DEVICE_CODE_EXPIRED`), `access_denied` (`OAUTH_ERROR`), expiry, or the signal (`CANCELLED`).
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628.html#section-3.1 RFC 8628 §3.1}–{@link https://www.rfc-editor.org/rfc/rfc8628.html#section-3.5 §3.5}
 */
export async function deviceAuthorizationGrant(p: DeviceAuthorizationParams): Promise<TokenSet> {
  const clock = p.clock ?? systemClock;
  const sleep = p.sleep ?? realSleep;
  const endpoint = p.metadata.deviceAuthorizationEndpoint;
  if (endpoint === undefined) {
    throw new BrokerError('CONFIG_INVALID', 'The provider has no device authorization endpoint; the device grant needs one.');
  }
  const request = await buildEndpointRequest({
    endpoint,
    audience: p.metadata.tokenEndpoint,
    client: p.client,
    params: { ...p.extraParams, ...(p.scope === undefined || p.scope === '' ? {} : { scope: p.scope }) },
    now: clock.now(),
    purpose: 'device authorization endpoint',
    ...(p.signal === undefined ? {} : { signal: p.signal }),
  });
  const response = await p.http.request(request);
  const device = processDeviceAuthorizationResponse(response, {
    purpose: 'device authorization endpoint',
    url: endpoint,
    now: clock.now(),
    redact: sentCredentials(request, p.client),
  });
  const { deviceCode, ...info } = device;
  p.onUserCode(info);

  let interval = device.interval;
  for (;;) {
    await sleep(interval * 1000, p.signal);
    if (p.signal?.aborted === true) throw new BrokerError('CANCELLED', 'Sign-in was cancelled.');
    if (clock.now() >= device.expiresAt) throw expired();
    try {
      return await requestToken(
        {
          http: p.http,
          metadata: p.metadata,
          client: p.client,
          clock,
          ...(p.signal === undefined ? {} : { signal: p.signal }),
          ...(p.dpop === undefined ? {} : { dpop: p.dpop }),
        },
        { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode },
        [deviceCode],
      );
    } catch (error) {
      if (!(error instanceof BrokerError) || error.code !== 'OAUTH_ERROR') throw error;
      switch (error.oauthError) {
        case 'authorization_pending':
          continue;
        case 'slow_down':
          interval += SLOW_DOWN_SECONDS;
          continue;
        case 'expired_token':
          throw expired(error);
        case 'access_denied':
          throw new BrokerError('OAUTH_ERROR', 'The device sign-in was denied.', {
            oauthError: 'access_denied',
            ...(error.oauthErrorDescription === undefined ? {} : { oauthErrorDescription: error.oauthErrorDescription }),
            ...(error.status === undefined ? {} : { status: error.status }),
          });
        default:
          throw error;
      }
    }
  }
}

function expired(cause?: unknown): BrokerError {
  return new BrokerError(
    'DEVICE_CODE_EXPIRED',
    'The device code expired before the sign-in was completed; start again.',
    cause === undefined ? {} : { cause },
  );
}
