/**
 * Token endpoint client authentication: client_secret_basic, client_secret_post,
 * private_key_jwt and none.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1 RFC 6749 §2.3.1}, {@link https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2 RFC 7523 §2.2}, {@link https://www.rfc-editor.org/rfc/rfc7521.html#section-4.2 RFC 7521 §4.2}, {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §9}
 */
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import type { ClientConfig } from '../accounts/model.js';
import { BrokerError } from '../errors.js';
import type { ClientAuth } from './types.js';

/** Lifetime of a client assertion: short, it is used once. */
const ASSERTION_LIFETIME_SECONDS = 60;

/**
 * Combines an account's client config with its secrets from the vault into a {@link ClientAuth}.
 * `basic` and `post` need a client secret, `private_key_jwt` a PEM private key.
 * @throws BrokerError `CONFIG_INVALID` when the needed secret is missing (the message names
 *   which, never its value).
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1 RFC 6749 §2.3.1}, {@link https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2 RFC 7523 §2.2}
 */
export function toClientAuth(client: ClientConfig, secrets: { clientSecret?: string; privateKeyPem?: string }): ClientAuth {
  const clientId = client.id;
  switch (client.auth) {
    case 'basic':
    case 'post': {
      if (secrets.clientSecret === undefined || secrets.clientSecret === '') {
        throw new BrokerError('CONFIG_INVALID', `Client "${clientId}" uses client_secret_${client.auth} but no client secret is stored.`);
      }
      return {
        method: client.auth === 'basic' ? 'client_secret_basic' : 'client_secret_post',
        clientId,
        clientSecret: secrets.clientSecret,
      };
    }
    case 'private_key_jwt': {
      if (secrets.privateKeyPem === undefined || secrets.privateKeyPem === '') {
        throw new BrokerError('CONFIG_INVALID', `Client "${clientId}" uses private_key_jwt but no private key is stored.`);
      }
      return {
        method: 'private_key_jwt',
        clientId,
        privateKeyPem: secrets.privateKeyPem,
        ...(client.keyId === undefined ? {} : { keyId: client.keyId }),
      };
    }
    case 'none':
      return { method: 'none', clientId };
  }
}

/** What client authentication adds to a request. */
export interface ClientAuthParts {
  headers: Record<string, string>;
  params: Record<string, string>;
}

/**
 * The `Authorization: Basic` value: id and secret are each form-urlencoded before base64,
 * as RFC 6749 §2.3.1 requires (a secret with `:` or `%` breaks naive encoders).
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1 RFC 6749 §2.3.1}
 */
export function clientSecretBasicHeader(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 appendix B). */
export function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * The headers and body parameters that authenticate the client at `audience` (the token
 * endpoint). For `private_key_jwt` a fresh signed assertion is made per request.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1 RFC 6749 §2.3.1}, {@link https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2 RFC 7523 §2.2}
 */
export async function applyClientAuth(client: ClientAuth, audience: string, now: number): Promise<ClientAuthParts> {
  switch (client.method) {
    case 'client_secret_basic':
      return { headers: { authorization: clientSecretBasicHeader(client.clientId, client.clientSecret) }, params: {} };
    case 'client_secret_post':
      return { headers: {}, params: { client_id: client.clientId, client_secret: client.clientSecret } };
    case 'private_key_jwt':
      return {
        headers: {},
        params: {
          client_id: client.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await createClientAssertion(client, audience, now),
        },
      };
    case 'none':
      return { headers: {}, params: { client_id: client.clientId } };
  }
}

/**
 * A client assertion JWT: iss = sub = client_id, aud = the token endpoint, a random jti, iat
 * now and exp a minute later, signed with the client's key (RS256, ES256/384/512 or EdDSA by
 * key type).
 * @throws BrokerError `CONFIG_INVALID` when the key cannot be read or is of an unsupported type.
 * @see {@link https://www.rfc-editor.org/rfc/rfc7523.html#section-3 RFC 7523 §3}
 */
export async function createClientAssertion(
  client: { clientId: string; privateKeyPem: string; keyId?: string },
  audience: string,
  now: number,
): Promise<string> {
  const { key, alg } = importSigningKey(client.privateKeyPem, client.clientId);
  const iat = Math.floor(now / 1000);
  // jose loads with the first assertion, not with the daemon (issue 15).
  const { SignJWT } = await import('./jose.js');
  try {
    return await new SignJWT({})
      .setProtectedHeader({ alg, typ: 'JWT', ...(client.keyId === undefined ? {} : { kid: client.keyId }) })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(audience)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
      .sign(key);
  } catch (error) {
    throw new BrokerError('CONFIG_INVALID', `Could not sign the client assertion for "${client.clientId}".`, { cause: scrubbed(error) });
  }
}

/** The signing algorithm that fits a private key: RS256, ES256/ES384/ES512 or EdDSA. */
export function importSigningKey(pem: string, clientId: string): { key: KeyObject; alg: string } {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new BrokerError('CONFIG_INVALID', `The private key stored for "${clientId}" is not a readable PEM private key.`, {
      cause: scrubbed(error),
    });
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { key, alg: 'RS256' };
  if (type === 'ed25519') return { key, alg: 'EdDSA' };
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const alg = curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : undefined;
    if (alg !== undefined) return { key, alg };
  }
  throw new BrokerError(
    'CONFIG_INVALID',
    `The private key stored for "${clientId}" has an unsupported type; use RSA, P-256/384/521 or Ed25519.`,
  );
}

function scrubbed(error: unknown): Error | undefined {
  return error instanceof Error ? Object.assign(new Error(error.message), { name: error.name }) : undefined;
}
