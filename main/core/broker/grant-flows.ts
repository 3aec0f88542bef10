/**
 * What each grant does, in one place: how a sign-in runs it ({@link runSignInGrant}) and how an
 * account whose grant renews by running again gets a new token ({@link reissueTokens}). Both are
 * exhaustive switches over the grant, so a new grant does not compile until it is handled here.
 * Everything else in the broker asks the grant's traits (main/shared/grants.ts).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4 RFC 6749 §4} (the grants), {@link https://www.rfc-editor.org/rfc/rfc8252.html RFC 8252} (native apps), {@link https://www.rfc-editor.org/rfc/rfc8628.html RFC 8628} (device authorization)
 */
import type { AccountConfig } from '../accounts/model.js';
import { BrokerError } from '../errors.js';
import type { TokenSet } from '../oauth/types.js';
import type { BrowserOpener } from '../ports.js';
import type { BrokerContext } from './context.js';
import { requireBound } from './dpop-keys.js';
import type { HttpClient } from './grant-port.js';
import { configuredScope } from './token-policy.js';
import type { SignInOptions, SignInProgress } from './types.js';

/** Progress a running grant reports; the coordinator adds the final phases. */
export type GrantProgress = Exclude<SignInProgress, { phase: 'done' | 'cancelled' | 'failed' }>;

const noBrowser: BrowserOpener = async () => {};

/** Provider-specific parameters (Google access_type, Auth0 audience) for the requests that take them. */
function extraParamsOf(account: AccountConfig): { extraParams?: Readonly<Record<string, string>> } {
  return account.provider.extraParams === undefined ? {} : { extraParams: account.provider.extraParams };
}

type Provider = Awaited<ReturnType<BrokerContext['providerFor']>>;

/**
 * A new token set for an account whose grant renews by running again (`renewal: 'reissue'`),
 * for `scope` (default: the account's configured scopes).
 */
export async function reissueTokens(ctx: BrokerContext, account: AccountConfig, scope?: string): Promise<TokenSet> {
  return reissueWith(ctx, account, await ctx.providerFor(account), scope ?? configuredScope(account));
}

async function reissueWith(
  ctx: BrokerContext,
  account: AccountConfig,
  { metadata, client }: Provider,
  scope: string | undefined,
): Promise<TokenSet> {
  const scoped = scope === undefined ? {} : { scope };
  switch (account.grant) {
    case 'client_credentials': {
      const dpop = await ctx.dpop.bindingFor(account, metadata);
      const tokens = await ctx.grants.clientCredentialsGrant({
        http: ctx.http,
        clock: ctx.clock,
        metadata,
        client,
        ...scoped,
        ...extraParamsOf(account),
        ...(dpop === undefined ? {} : { dpop }),
      });
      return requireBound(account, dpop, tokens);
    }
    case 'authorization_code':
    case 'device_code':
    case 'password':
    case 'implicit':
      // Their renewal is the refresh token or nothing: token-service.ts never asks.
      throw new BrokerError('INTERNAL', `The ${account.grant} grant cannot be run again without a person.`, { account: account.name });
  }
}

/** Runs the account's grant for a sign-in, reporting progress; resolves with the new tokens. */
export async function runSignInGrant(
  ctx: BrokerContext,
  account: AccountConfig,
  openBrowser: BrowserOpener | undefined,
  signal: AbortSignal,
  report: (progress: GrantProgress) => void,
  options: SignInOptions,
): Promise<TokenSet> {
  const name = account.name;
  const provider = await ctx.providerFor(account);
  const { metadata, client } = provider;
  // Every grant that reaches the token endpoint binds its tokens to the account's key (RFC 9449).
  const dpop = await ctx.dpop.bindingFor(account, metadata);
  const bound = dpop === undefined ? {} : { dpop };
  const checked = (tokens: Promise<TokenSet>): Promise<TokenSet> => tokens.then((result) => requireBound(account, dpop, result));
  const scope = configuredScope(account);
  const scoped = scope === undefined ? {} : { scope };
  const extra = extraParamsOf(account);
  const { clock, http } = ctx;
  // What the browser grants (code, implicit) share: the loopback redirect and the browser itself.
  const viaBrowser = {
    clock,
    metadata,
    client,
    ...scoped,
    ...extra,
    ...(account.redirectUri === undefined ? {} : { redirectUri: account.redirectUri }),
    openBrowser: options.noBrowser === true ? noBrowser : (openBrowser ?? noBrowser),
    onAuthorizationUrl: (url: string): void => report({ account: name, phase: 'waiting_for_browser', url }),
    signal,
  };
  switch (account.grant) {
    case 'client_credentials':
      report({ account: name, phase: 'exchanging' });
      return reissueWith(ctx, account, provider, scope);
    case 'authorization_code': {
      // The code grant's only token endpoint request is the exchange after the browser came back:
      // watching for it makes the `exchanging` phase exact. (Device polling also hits the token
      // endpoint while waiting, so that grant reports `exchanging` once it has its tokens.)
      const watched: HttpClient = {
        request: (request) => {
          if (request.method === 'POST' && request.url === metadata.tokenEndpoint) report({ account: name, phase: 'exchanging' });
          return http.request(request);
        },
      };
      return checked(ctx.grants.authorizationCodeGrant({ ...viaBrowser, http: watched, ...bound }));
    }
    case 'implicit':
      return ctx.grants.implicitGrant({ ...viaBrowser, allowLegacy: account.allowLegacy });
    case 'device_code':
      return checked(
        ctx.grants.deviceAuthorizationGrant({
          ...bound,
          http,
          clock,
          metadata,
          client,
          ...scoped,
          ...extra,
          signal,
          onUserCode: (info) => {
            report({
              account: name,
              phase: 'device_code',
              userCode: info.userCode,
              verificationUri: info.verificationUri,
              ...(info.verificationUriComplete === undefined ? {} : { verificationUriComplete: info.verificationUriComplete }),
              expiresAt: info.expiresAt,
            });
            if (options.noBrowser !== true && openBrowser !== undefined) {
              openBrowser(info.verificationUriComplete ?? info.verificationUri).catch(() => {
                ctx.logger.warn(`[sign-in] could not open the browser for '${name}'; the verification URL was reported instead`);
              });
            }
          },
        }),
      );
    case 'password': {
      const { username, password } = options;
      if (username === undefined || password === undefined) {
        throw new BrokerError('INVALID_REQUEST', `Signing in to '${name}' needs a username and a password.`, { account: name });
      }
      report({ account: name, phase: 'exchanging' });
      return checked(
        ctx.grants.passwordGrant({
          http,
          clock,
          metadata,
          client,
          username,
          password,
          ...scoped,
          allowLegacy: account.allowLegacy,
          ...bound,
        }),
      );
    }
  }
}
