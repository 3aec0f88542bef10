/**
 * How an account's client authenticates at the token endpoint, and which secret each method
 * needs. The secret itself lives only in the vault.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1 RFC 6749 §2.3.1} (client_secret_basic, client_secret_post), {@link https://www.rfc-editor.org/rfc/rfc7523.html#section-2.2 RFC 7523 §2.2} (private_key_jwt)
 */

/** Method names as config.json and the CLI (`--auth`) spell them. */
export const CLIENT_AUTH_METHODS = ['basic', 'post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** The vault field that holds a method's secret, and how messages name it. */
export interface ClientSecretKind {
  readonly field: 'clientSecret' | 'privateKeyPem';
  /** How messages name it: "needs a client secret", "needs the private key (PEM) again". */
  readonly noun: string;
}

export interface ClientAuthTraits {
  readonly label: string;
  /** The secret the method signs or sends with; undefined for a public client. */
  readonly secret: ClientSecretKind | undefined;
  /**
   * The name providers advertise it by in `token_endpoint_auth_methods_supported`.
   * @see {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-2 RFC 8414 §2}
   */
  readonly advertisedAs: string;
}

const CLIENT_SECRET: ClientSecretKind = { field: 'clientSecret', noun: 'client secret' };
const PRIVATE_KEY: ClientSecretKind = { field: 'privateKeyPem', noun: 'private key (PEM)' };

export const CLIENT_AUTH_TRAITS: Readonly<Record<ClientAuthMethod, ClientAuthTraits>> = {
  basic: { label: 'Client secret (HTTP Basic)', secret: CLIENT_SECRET, advertisedAs: 'client_secret_basic' },
  post: { label: 'Client secret (form body)', secret: CLIENT_SECRET, advertisedAs: 'client_secret_post' },
  private_key_jwt: { label: 'Private key JWT', secret: PRIVATE_KEY, advertisedAs: 'private_key_jwt' },
  none: { label: 'None (public client)', secret: undefined, advertisedAs: 'none' },
};

export function isClientAuthMethod(value: unknown): value is ClientAuthMethod {
  return typeof value === 'string' && (CLIENT_AUTH_METHODS as readonly string[]).includes(value);
}
