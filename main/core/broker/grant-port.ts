/**
 * The broker's view of the OAuth engine: exactly the functions of main/core/oauth it calls.
 * The default loads the engine (got, jose and the grant modules) with `import()` on the first
 * provider request, so a daemon that hands out cached tokens never loads it (issue 15); the two
 * synchronous helpers come from small modules that need neither. Tests wrap the real functions
 * to observe or hold calls.
 */
import type * as OAuth from '../oauth/index.js';
import { toClientAuth } from '../oauth/client-auth.js';
import { decodeJwtClaims } from '../oauth/jwt-claims.js';

/** The subset of main/core/oauth the broker uses (same names, same signatures). */
export type GrantPort = Pick<
  typeof OAuth,
  | 'clientCredentialsGrant'
  | 'refreshTokenGrant'
  | 'authorizationCodeGrant'
  | 'deviceAuthorizationGrant'
  | 'implicitGrant'
  | 'passwordGrant'
  | 'tokenExchangeGrant'
  | 'revokeToken'
  | 'resolveProviderMetadata'
  | 'toClientAuth'
  | 'decodeJwtClaims'
  | 'fetchUserInfo'
>;

/** The HTTP client type the grant functions take (from main/core/oauth). */
export type HttpClient = OAuth.HttpClient;

let engine: Promise<typeof OAuth> | undefined;

/** The OAuth engine module, imported once; a failed import is retried next time. */
export function loadOAuthEngine(): Promise<typeof OAuth> {
  engine ??= import('../oauth/index.js').catch((error: unknown) => {
    engine = undefined;
    throw error;
  });
  return engine;
}

type AsyncName = Exclude<keyof GrantPort, 'toClientAuth' | 'decodeJwtClaims'>;

/** `name` of the engine, loaded on its first call. */
function lazy<K extends AsyncName>(name: K): GrantPort[K] {
  const call = async (...args: unknown[]): Promise<unknown> => {
    const fn = (await loadOAuthEngine())[name] as (...a: unknown[]) => Promise<unknown>;
    return fn(...args);
  };
  return call as GrantPort[K];
}

/** The real grant functions. */
export const defaultGrantPort: GrantPort = {
  clientCredentialsGrant: lazy('clientCredentialsGrant'),
  refreshTokenGrant: lazy('refreshTokenGrant'),
  authorizationCodeGrant: lazy('authorizationCodeGrant'),
  deviceAuthorizationGrant: lazy('deviceAuthorizationGrant'),
  implicitGrant: lazy('implicitGrant'),
  passwordGrant: lazy('passwordGrant'),
  tokenExchangeGrant: lazy('tokenExchangeGrant'),
  revokeToken: lazy('revokeToken'),
  resolveProviderMetadata: lazy('resolveProviderMetadata'),
  toClientAuth,
  decodeJwtClaims,
  fetchUserInfo: lazy('fetchUserInfo'),
};
