/**
 * Who a sign-in signed in as. The ID token names the user when there is one (its signature was
 * checked by the code flow; other grants received it straight from the token endpoint over TLS,
 * which OpenID Connect Core §3.1.3.7 accepts in place of a signature check); otherwise the
 * provider's UserInfo endpoint is asked, best effort: a sign-in never fails because the user
 * could not be named.
 *
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §2} (ID token claims), {@link https://openid.net/specs/openid-connect-core-1_0.html §5.1} (standard claims), {@link https://openid.net/specs/openid-connect-core-1_0.html §5.3} (UserInfo)
 */
import type { AccountIdentity } from '../../shared/accounts.js';
import { toBrokerError } from '../errors.js';
import type { ProviderMetadata, TokenSet } from '../oauth/types.js';
import type { BrokerContext } from './context.js';

/** Claims longer than this are not names a person reads; they are dropped rather than stored. */
const MAX_CLAIM_LENGTH = 256;

function claimString(claims: Record<string, unknown>, key: string): string | undefined {
  const value = claims[key];
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  // Shown in terminals and the window: no control characters, bounded.
  if (value === '' || value.length > MAX_CLAIM_LENGTH || /\p{Cc}/u.test(value)) return undefined;
  return value;
}

/**
 * The identity in a set of claims: `sub` (OpenID) or a provider's numeric `id` (GitHub's REST
 * user) as the subject; `preferred_username`, else `login` (GitHub) or `upn` (Entra v1), as the
 * username; `email`. Undefined without a subject.
 */
export function identityFromClaims(claims: Record<string, unknown> | undefined): AccountIdentity | undefined {
  if (claims === undefined) return undefined;
  const subject = claimString(claims, 'sub') ?? claimString(claims, 'id');
  if (subject === undefined) return undefined;
  const username = claimString(claims, 'preferred_username') ?? claimString(claims, 'login') ?? claimString(claims, 'upn');
  const email = claimString(claims, 'email');
  return { subject, ...(username === undefined ? {} : { username }), ...(email === undefined ? {} : { email }) };
}

/** True when two identities are the same user (same subject). */
export function isSameUser(a: AccountIdentity, b: AccountIdentity): boolean {
  return a.subject === b.subject;
}

/**
 * Names the user behind freshly obtained tokens: the ID token's claims, completed from the
 * UserInfo endpoint when the ID token carries no username or email (many providers put only
 * `sub` in it) or when there is no ID token. UserInfo claims about another subject than the ID
 * token's are not used (OpenID Connect Core §5.3.2). Undefined when nothing names a user (client
 * credentials, a provider without either, a UserInfo failure — logged by code only).
 */
export async function resolveIdentity(
  ctx: BrokerContext,
  accountName: string,
  metadata: ProviderMetadata,
  tokens: TokenSet,
  signal?: AbortSignal,
): Promise<AccountIdentity | undefined> {
  const fromIdToken = tokens.idToken === undefined ? undefined : identityFromClaims(ctx.grants.decodeJwtClaims(tokens.idToken));
  const endpoint = metadata.userinfoEndpoint;
  const complete = fromIdToken?.username !== undefined && fromIdToken.email !== undefined;
  if (complete || endpoint === undefined) return fromIdToken;
  let fromUserInfo: AccountIdentity | undefined;
  // A DPoP-bound access token goes with a proof of the account's key (RFC 9449 §7).
  const key = tokens.tokenType.toLowerCase() === 'dpop' ? ctx.dpop.keyOf(accountName) : undefined;
  try {
    const claims = await ctx.grants.fetchUserInfo({
      ...(key === undefined ? {} : { dpop: { key, nonces: ctx.dpop.nonces(accountName), clock: ctx.clock } }),
      http: ctx.http,
      endpoint,
      accessToken: tokens.accessToken,
      tokenType: tokens.tokenType,
      ...(signal === undefined ? {} : { signal }),
    });
    fromUserInfo = identityFromClaims(claims);
  } catch (error) {
    ctx.logger.warn(`[sign-in] could not name the user of '${accountName}' from the userinfo endpoint: ${toBrokerError(error).code}`);
  }
  if (fromIdToken === undefined) return fromUserInfo;
  if (fromUserInfo === undefined || !isSameUser(fromIdToken, fromUserInfo)) return fromIdToken;
  const username = fromIdToken.username ?? fromUserInfo.username;
  const email = fromIdToken.email ?? fromUserInfo.email;
  return { subject: fromIdToken.subject, ...(username === undefined ? {} : { username }), ...(email === undefined ? {} : { email }) };
}
