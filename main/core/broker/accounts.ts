/**
 * Account administration: list/inspect, add, edit, remove, logout. Config goes to the
 * ConfigStore, secrets only to the vault; every change emits `accounts_changed`.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7009.html RFC 7009} (token revocation on logout and removal)
 */
import { CLIENT_AUTH_TRAITS } from '../../shared/client-auth.js';
import { GRANT_TRAITS, isLegacyGrant } from '../../shared/grants.js';
import type { AccountConfig, AccountInput } from '../accounts/model.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { TokenSet } from '../oauth/types.js';
import type { AccountSecrets } from '../vault/types.js';
import { clearFailure, forgetScoped } from './account-state.js';
import type { BrokerContext } from './context.js';
import { idTokenLifetime } from './id-token-policy.js';
import type { SignInCoordinator } from './sign-in.js';
import { probeProvider } from './provider-probe.js';
import { computeStatus, refreshModeOf } from './token-policy.js';
import type { TokenService } from './token-service.js';
import type { AccountSecretsInput, AccountSummary, TokenDetails } from './types.js';

export interface AccountAdmin {
  summarize(account: AccountConfig): AccountSummary;
  add(input: AccountInput, secrets?: AccountSecretsInput): Promise<AccountSummary>;
  update(name: string, input: AccountInput, secrets?: AccountSecretsInput): Promise<AccountSummary>;
  /** Moves the account, its secrets, tokens and identity to a new name. */
  rename(name: string, newName: string): Promise<AccountSummary>;
  /** Asks the provider whether the account would work (discovery, grant, auth method). */
  check(input: AccountInput): Promise<void>;
  remove(name: string): Promise<void>;
  logout(name: string): Promise<void>;
  details(name: string): TokenDetails | undefined;
}

/**
 * Validates an account being added or edited (every field and every cross-field rule, as for
 * config.json) and refuses a legacy grant without the account's opt-in: config.json may still
 * name one (refused at sign-in), but the broker does not create one. The schema code (zod) is
 * imported here, with the first change, not with the daemon (issue 15).
 */
async function acceptAccountInput(input: unknown): Promise<AccountConfig> {
  const { validateAccountInput } = await import('../accounts/validate.js');
  const account = validateAccountInput(input);
  if (isLegacyGrant(account.grant) && !account.allowLegacy) {
    throw new BrokerError(
      'LEGACY_GRANT_REFUSED',
      `The ${account.grant} grant is a legacy grant; allow it explicitly for this account (--allow-legacy).`,
      { account: account.name },
    );
  }
  return account;
}

/** The client's auth method needs its secret: fail at add/edit time, not at the first token request. */
function checkClientSecrets(account: AccountConfig, secrets: AccountSecrets | undefined): void {
  const auth = account.client.auth;
  const needed = CLIENT_AUTH_TRAITS[auth].secret;
  if (needed === undefined) return;
  const value = secrets?.[needed.field];
  if (value === undefined || value === '') {
    throw new BrokerError('INVALID_REQUEST', `Client authentication '${auth}' needs a ${needed.noun}.`, { account: account.name });
  }
}

function secretFields(input: AccountSecretsInput | undefined): AccountSecrets {
  const out: AccountSecrets = {};
  if (input?.clientSecret !== undefined) out.clientSecret = input.clientSecret;
  if (input?.privateKeyPem !== undefined) out.privateKeyPem = input.privateKeyPem;
  return out;
}

/**
 * Tokens issued under one provider/client/grant mean nothing under another; a different DPoP
 * setting asks for tokens bound (or not) to the account's key, so the old ones go too.
 */
function tokenOriginChanged(before: AccountConfig, after: AccountConfig): boolean {
  return (
    JSON.stringify(before.provider) !== JSON.stringify(after.provider) ||
    before.client.id !== after.client.id ||
    before.client.auth !== after.client.auth ||
    before.grant !== after.grant ||
    before.dpop !== after.dpop
  );
}

/**
 * Where the client authenticates: the endpoints that receive the client secret or assertion
 * (token, device authorization, revocation; all of them come from the issuer when discovered)
 * and the client id. Not the authorization endpoint (it gets only the client id) nor extra params.
 */
function secretDestinationChanged(before: AccountConfig, after: AccountConfig): boolean {
  const a = before.provider;
  const b = after.provider;
  return (
    a.issuer !== b.issuer ||
    a.tokenEndpoint !== b.tokenEndpoint ||
    a.deviceAuthorizationEndpoint !== b.deviceAuthorizationEndpoint ||
    a.revocationEndpoint !== b.revocationEndpoint ||
    a.userinfoEndpoint !== b.userinfoEndpoint ||
    before.client.id !== after.client.id
  );
}

/**
 * A stored secret is only ever sent where it was entered for: whoever can edit an account (a
 * compromised renderer, say) must not be able to point the token endpoint at themselves and have
 * the broker send them the vault's client secret. A new provider or client needs its secret again.
 */
function checkSecretNotRedirected(before: AccountConfig, after: AccountConfig, fields: AccountSecrets): void {
  const needed = CLIENT_AUTH_TRAITS[after.client.auth].secret;
  if (needed === undefined || !secretDestinationChanged(before, after)) return;
  const supplied = fields[needed.field];
  if (supplied === undefined || supplied === '') {
    throw new BrokerError(
      'INVALID_REQUEST',
      `Changing the provider or client of '${after.name}' needs the ${needed.noun} again; the stored one is only sent where it was entered for.`,
      { account: after.name },
    );
  }
}

/** Which secrets the vault holds for the account; unknown once the vault is closed (shutdown). */
function heldSecrets(ctx: BrokerContext, name: string): AccountSummary['secretsHeld'] {
  let held;
  try {
    held = ctx.vault.get(name);
  } catch {
    return undefined;
  }
  return { clientSecret: held?.clientSecret !== undefined, privateKey: held?.privateKeyPem !== undefined };
}

export function createAccountAdmin(ctx: BrokerContext, tokens: TokenService, signIns: SignInCoordinator): AccountAdmin {
  function summarize(account: AccountConfig): AccountSummary {
    const state = ctx.state(account.name);
    const current = state.tokens;
    const held = heldSecrets(ctx, account.name);
    const needed = CLIENT_AUTH_TRAITS[account.client.auth].secret;
    const status = computeStatus(
      {
        missingSecret:
          needed !== undefined && held !== undefined && !(needed.field === 'clientSecret' ? held.clientSecret : held.privateKey),
        tokens: current,
        needsLogin: state.needsLogin,
        signedOut: state.signedOut,
        hasError: state.lastError !== undefined,
        canFetchWithoutUser: !GRANT_TRAITS[account.grant].needsPerson,
        canRefresh: tokens.canRefresh(account, state),
      },
      ctx.clock.now(),
    );
    const granted = current?.scope?.split(' ').filter((scope) => scope.length > 0);
    const renewable = !state.signedOut && !state.needsLogin && tokens.canRefresh(account, state);
    const summary: AccountSummary = {
      config: account,
      name: account.name,
      grant: account.grant,
      status,
      scopes: granted !== undefined && granted.length > 0 ? granted : [...account.scopes],
      hasRefreshToken: current?.refreshToken !== undefined,
      senderConstrained: current?.tokenType.toLowerCase() === 'dpop',
      refreshMode: refreshModeOf(account, current, renewable, state.lastHandOutAt, ctx.clock.now()),
    };
    if (current?.expiresAt !== undefined) summary.expiresAt = current.expiresAt;
    if (state.lastHandOutAt !== undefined) summary.lastUsedAt = state.lastHandOutAt;
    if (state.lastRefreshAt !== undefined) summary.lastRefreshAt = state.lastRefreshAt;
    if (state.lastError !== undefined) summary.lastError = { ...state.lastError };
    if (held !== undefined) summary.secretsHeld = held;
    if (state.identity !== undefined) summary.identity = state.identity;
    const idToken = current === undefined ? undefined : idTokenLifetime(current);
    if (idToken?.expiresAt !== undefined) summary.idTokenExpiresAt = idToken.expiresAt;
    if (tokens.usesIdToken(account, state)) summary.usesIdToken = true;
    return summary;
  }

  /** Best effort: refresh token first (often revokes the whole grant), then access tokens. */
  async function revokeAll(account: AccountConfig): Promise<void> {
    const state = ctx.state(account.name);
    const main: TokenSet | undefined = state.tokens ?? ctx.vault.get(account.name)?.tokens;
    const targets: { token: string; hint: 'refresh_token' | 'access_token' }[] = [];
    if (main?.refreshToken !== undefined) targets.push({ token: main.refreshToken, hint: 'refresh_token' });
    if (main !== undefined) targets.push({ token: main.accessToken, hint: 'access_token' });
    for (const scoped of state.scoped.values()) targets.push({ token: scoped.accessToken, hint: 'access_token' });
    if (targets.length === 0) return;
    let provider;
    try {
      provider = await ctx.providerFor(account);
    } catch (error) {
      ctx.logger.warn(`[broker] cannot revoke the tokens of '${account.name}': ${toBrokerError(error).code}`);
      return;
    }
    for (const target of targets) {
      try {
        await ctx.grants.revokeToken({ http: ctx.http, clock: ctx.clock, ...provider, token: target.token, tokenTypeHint: target.hint });
      } catch (error) {
        ctx.logger.warn(`[broker] revoking the ${target.hint} of '${account.name}' failed: ${toBrokerError(error).code}`);
      }
    }
  }

  return {
    summarize,

    async add(input, secrets) {
      const account = await acceptAccountInput(input);
      if (ctx.findAccount(account.name) !== undefined) {
        throw new BrokerError('ACCOUNT_EXISTS', `An account named '${account.name}' already exists.`, { account: account.name });
      }
      const fields = secretFields(secrets);
      checkClientSecrets(account, fields);
      // Secrets first: config never names an account whose secrets are missing. Replacing the
      // entry also drops leftovers of an earlier account with this name.
      await ctx.updateSecrets(account.name, () => (Object.keys(fields).length === 0 ? undefined : fields));
      try {
        ctx.reloadAccounts(
          await ctx.configStore.update((config) => {
            if (config.accounts.some((existing) => existing.name === account.name)) {
              throw new BrokerError('ACCOUNT_EXISTS', `An account named '${account.name}' already exists.`, { account: account.name });
            }
            return { ...config, accounts: [...config.accounts, account] };
          }),
        );
      } catch (error) {
        await ctx.updateSecrets(account.name, () => undefined).catch(() => {});
        throw error;
      }
      ctx.dropState(account.name);
      ctx.forgetProvider(account.name);
      tokens.prime(account);
      ctx.logger.info(`[broker] account '${account.name}' added (${account.grant})`);
      ctx.events.emit({ type: 'accounts_changed' });
      return summarize(account);
    },

    async update(name, input, secrets) {
      const before = ctx.requireAccount(name);
      const account = await acceptAccountInput(input);
      if (account.name !== name) {
        throw new BrokerError('INVALID_REQUEST', `An edit keeps the name ('${name}' → '${account.name}'); rename the account on its own.`, {
          account: name,
        });
      }
      const fields = secretFields(secrets);
      checkSecretNotRedirected(before, account, fields);
      checkClientSecrets(account, { ...ctx.vault.get(name), ...fields });
      const forget = tokenOriginChanged(before, account);
      if (forget) {
        // Revoked with the old provider and client, which issued them.
        signIns.cancel(name);
        await revokeAll(before);
        // Subjects are per provider: whoever signed in under the old one says nothing about the new.
        await tokens.forgetTokens(name, { dropIdentity: true });
      }
      if (Object.keys(fields).length > 0) await ctx.updateSecrets(name, (current) => ({ ...current, ...fields }));
      ctx.reloadAccounts(
        await ctx.configStore.update((config) => ({
          ...config,
          accounts: config.accounts.map((existing) => (existing.name === name ? account : existing)),
        })),
      );
      ctx.forgetProvider(name);
      forgetScoped(ctx.state(name));
      clearFailure(ctx.state(name));
      tokens.prime(account);
      ctx.logger.info(`[broker] account '${name}' updated${forget ? ' (tokens forgotten: provider, client or grant changed)' : ''}`);
      ctx.events.emit({ type: 'accounts_changed' });
      return summarize(account);
    },

    async rename(name, newName) {
      const account = ctx.requireAccount(name);
      // The name follows the account model's rules, checked as for a new account.
      const renamed = await acceptAccountInput({ ...account, name: newName });
      if (newName === name) return summarize(account);
      if (ctx.findAccount(newName) !== undefined) {
        throw new BrokerError('ACCOUNT_EXISTS', `An account named '${newName}' already exists.`, { account: newName });
      }
      signIns.cancel(name);
      // Inside the account's refresh queue: no refresh of the old name is writing its vault entry meanwhile.
      await tokens.whileIdle(name, async () => {
        const secrets = ctx.vault.get(name);
        // New entry first, then the config, then the old entry: a crash in between leaves at worst
        // an orphan entry under the old name, which a later add of that name replaces.
        await ctx.updateSecrets(newName, () => secrets);
        try {
          ctx.reloadAccounts(
            await ctx.configStore.update((config) => {
              if (config.accounts.some((existing) => existing.name === newName)) {
                throw new BrokerError('ACCOUNT_EXISTS', `An account named '${newName}' already exists.`, { account: newName });
              }
              return { ...config, accounts: config.accounts.map((existing) => (existing.name === name ? renamed : existing)) };
            }),
          );
        } catch (error) {
          await ctx.updateSecrets(newName, () => undefined).catch(() => {});
          throw error;
        }
        ctx.moveState(name, newName);
        await ctx.updateSecrets(name, () => undefined);
      });
      ctx.forgetProvider(name);
      tokens.prime(renamed);
      ctx.logger.info(`[broker] account '${name}' renamed to '${newName}'`);
      ctx.events.emit({ type: 'accounts_changed' });
      return summarize(renamed);
    },

    async check(input) {
      await probeProvider(await acceptAccountInput(input), ctx.http);
    },

    async remove(name) {
      const account = ctx.requireAccount(name);
      signIns.cancel(name);
      await revokeAll(account);
      ctx.reloadAccounts(
        await ctx.configStore.update((config) => ({
          ...config,
          accounts: config.accounts.filter((existing) => existing.name !== name),
        })),
      );
      await tokens.forgetTokens(name);
      await ctx.updateSecrets(name, () => undefined);
      ctx.dropState(name);
      ctx.forgetProvider(name);
      ctx.logger.info(`[broker] account '${name}' removed`);
      ctx.events.emit({ type: 'accounts_changed' });
    },

    async logout(name) {
      const account = ctx.requireAccount(name);
      signIns.cancel(name);
      await revokeAll(account);
      await tokens.forgetTokens(name, { signOut: true });
      ctx.logger.info(`[broker] account '${name}' signed out`);
      ctx.events.emit({ type: 'accounts_changed' });
    },

    details(name) {
      ctx.requireAccount(name);
      const state = ctx.state(name);
      const current = state.tokens;
      if (current === undefined) return undefined;
      const details: TokenDetails = {
        tokenType: current.tokenType,
        obtainedAt: current.obtainedAt,
        hasRefreshToken: current.refreshToken !== undefined,
        hasIdToken: current.idToken !== undefined,
      };
      if (current.scope !== undefined) details.scope = current.scope;
      if (current.expiresAt !== undefined) details.expiresAt = current.expiresAt;
      const accessTokenClaims = ctx.grants.decodeJwtClaims(current.accessToken);
      if (accessTokenClaims !== undefined) details.accessTokenClaims = accessTokenClaims;
      const idTokenClaims = current.idToken === undefined ? undefined : ctx.grants.decodeJwtClaims(current.idToken);
      if (idTokenClaims !== undefined) details.idTokenClaims = idTokenClaims;
      if (state.lastRefreshAt !== undefined) details.lastRefreshAt = state.lastRefreshAt;
      if (state.lastRefreshOutcome !== undefined) details.lastRefreshOutcome = state.lastRefreshOutcome;
      if (state.lastError !== undefined) details.lastError = { ...state.lastError };
      return details;
    },
  };
}
