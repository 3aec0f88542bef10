/**
 * Sign-in orchestration for every grant: runs the grant with progress reporting and
 * cancellation, then stores the tokens.
 *
 * One sign-in per account at a time: starting a new one cancels the one in progress (the person
 * clicked "Sign in" again, probably after closing the browser tab; the old loopback listener
 * would otherwise wait for its timeout). Legacy grants are refused before anything reaches the
 * network unless the account opted in. A password is passed to one token request and not kept.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html RFC 8252} (native apps), {@link https://www.rfc-editor.org/rfc/rfc8628.html RFC 8628} (device authorization), {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.2 RFC 6749 §4.2} / {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.3 §4.3} (legacy)
 */
import { GRANT_TRAITS } from '../../shared/grants.js';
import { identityDescription, identityLabel, type AccountIdentity } from '../../shared/accounts.js';
import type { ClientAuth, ProviderMetadata, TokenSet } from '../oauth/types.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { BrowserOpener } from '../ports.js';
import type { BrokerContext } from './context.js';
import { toErrorInfo } from './error-info.js';
import { runSignInGrant } from './grant-flows.js';
import { isSameUser, resolveIdentity } from './identity.js';
import type { TokenService } from './token-service.js';
import type { SignInOptions, SignInProgress } from './types.js';

export interface SignInCoordinator {
  signIn(name: string, options?: SignInOptions): Promise<void>;
  /** Cancels the account's sign-in in progress; false when there was none. */
  cancel(name: string): boolean;
  cancelAll(): void;
}

export function createSignInCoordinator(
  ctx: BrokerContext,
  tokens: TokenService,
  openBrowser: BrowserOpener | undefined,
): SignInCoordinator {
  const active = new Map<string, AbortController>();

  /**
   * The sign-in came back as another person than the account's: whoever completed the browser
   * step (another user who read the URL, a browser logged in to another account). Nothing is
   * stored, the old tokens stay, the unwanted grant is revoked (best effort: it belongs to another
   * subject, so it is another grant), and the person is told how to switch on purpose.
   */
  async function refuseOtherUser(
    name: string,
    previous: AccountIdentity,
    identity: AccountIdentity,
    refused: TokenSet,
    provider: { metadata: ProviderMetadata; client: ClientAuth },
  ): Promise<never> {
    const target = refused.refreshToken ?? refused.accessToken;
    const hint = refused.refreshToken === undefined ? 'access_token' : 'refresh_token';
    await ctx.grants
      .revokeToken({ http: ctx.http, clock: ctx.clock, ...provider, token: target, tokenTypeHint: hint })
      .catch((error: unknown) =>
        ctx.logger.warn(`[sign-in] revoking the refused sign-in of '${name}' failed: ${toBrokerError(error).code}`),
      );
    ctx.logger.warn(`[sign-in] '${name}' signed in as another user than before; refused, the old tokens are kept`);
    throw new BrokerError(
      'IDENTITY_CHANGED',
      `This sign-in to '${name}' was as ${identityDescription(identity)}, but '${name}' belongs to ${identityDescription(previous)}. ` +
        `Nothing was changed. Sign in as ${identityLabel(previous)}, or switch the account to the new user on purpose: ` +
        `token-broker login ${name} --allow-other-user (in the window: confirm the switch).`,
      { account: name },
    );
  }

  return {
    async signIn(name, options = {}) {
      const account = ctx.requireAccount(name);
      const traits = GRANT_TRAITS[account.grant];
      if (traits.legacy && !account.allowLegacy) {
        throw new BrokerError(
          'LEGACY_GRANT_REFUSED',
          `Account '${name}' uses the legacy ${account.grant} grant, which is off unless the account allows it (--allow-legacy).`,
          { account: name },
        );
      }
      // Credentials for a grant that takes none are a mistake worth saying, not silently dropping.
      if (!traits.needsPassword && (options.username !== undefined || options.password !== undefined)) {
        throw new BrokerError(
          'INVALID_REQUEST',
          `Account '${name}' uses the ${account.grant} grant; a username and password apply only to password-grant accounts.`,
          { account: name },
        );
      }
      active.get(name)?.abort();
      const controller = new AbortController();
      active.set(name, controller);
      const external = options.signal;
      const forwardAbort = (): void => controller.abort();
      if (external?.aborted === true) controller.abort();
      external?.addEventListener('abort', forwardAbort, { once: true });

      const report = (progress: SignInProgress): void => {
        if (options.onProgress !== undefined) {
          try {
            options.onProgress(progress);
          } catch {
            ctx.logger.warn(`[sign-in] a progress callback for '${name}' threw`);
          }
        }
        ctx.events.emit({ type: 'sign_in_progress', progress });
      };

      let exchanging = false;
      report({ account: name, phase: 'starting' });
      try {
        const tokenSet = await runSignInGrant(
          ctx,
          account,
          openBrowser,
          controller.signal,
          (progress) => {
            if (progress.phase === 'exchanging') {
              if (exchanging) return;
              exchanging = true;
            }
            report(progress);
          },
          options,
        );
        if (controller.signal.aborted) throw new BrokerError('CANCELLED', `The sign-in for '${name}' was cancelled.`, { account: name });
        if (!exchanging) report({ account: name, phase: 'exchanging' });
        const provider = await ctx.providerFor(account);
        const identity = await resolveIdentity(ctx, name, provider.metadata, tokenSet, controller.signal);
        const previous = ctx.state(name).identity;
        if (previous !== undefined && identity !== undefined && !isSameUser(previous, identity) && options.allowOtherUser !== true) {
          await refuseOtherUser(name, previous, identity, tokenSet, provider);
        }
        await tokens.storeSignInTokens(name, tokenSet, identity);
        report({ account: name, phase: 'done' });
        ctx.logger.info(`[sign-in] '${name}' signed in (${account.grant})`);
      } catch (error) {
        const brokerError = toBrokerError(error, `The sign-in for '${name}' failed unexpectedly.`);
        if (controller.signal.aborted || brokerError.code === 'CANCELLED') {
          report({ account: name, phase: 'cancelled' });
          throw brokerError.code === 'CANCELLED'
            ? brokerError
            : new BrokerError('CANCELLED', `The sign-in for '${name}' was cancelled.`, { account: name, cause: brokerError });
        }
        report({ account: name, phase: 'failed', error: toErrorInfo(brokerError) });
        ctx.logger.warn(
          `[sign-in] '${name}' failed: ${brokerError.code}${brokerError.oauthError === undefined ? '' : ` (${brokerError.oauthError})`}`,
        );
        throw brokerError;
      } finally {
        external?.removeEventListener('abort', forwardAbort);
        if (active.get(name) === controller) active.delete(name);
      }
    },

    cancel(name) {
      const controller = active.get(name);
      if (controller === undefined) return false;
      controller.abort();
      active.delete(name);
      return true;
    },

    cancelAll() {
      for (const controller of active.values()) controller.abort();
      active.clear();
    },
  };
}
