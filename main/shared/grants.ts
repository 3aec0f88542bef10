/**
 * The grants the broker speaks and what each one implies. Every consumer (core, CLI, IPC
 * contract, renderer) asks {@link GRANT_TRAITS} instead of comparing grant names, so a new grant
 * is one entry here plus the places the compiler then points at (docs/architecture.md, "A new
 * grant").
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4 RFC 6749 §4} (the grants), {@link https://www.rfc-editor.org/rfc/rfc8628.html RFC 8628} (device authorization), {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-2.1.2 RFC 9700 §2.1.2} and {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-2.4 §2.4}
 *   (implicit and password are legacy)
 */

/** Grant names as config.json, the CLI (`--grant`) and the API spell them. */
export const GRANTS = ['authorization_code', 'client_credentials', 'device_code', 'password', 'implicit'] as const;
export type Grant = (typeof GRANTS)[number];

/** Provider endpoints a grant calls (discovery can supply each of them). */
export type GrantEndpoint = 'authorization' | 'token' | 'device_authorization';

/** Kinds of token a successful grant can yield. */
export type TokenKind = 'access_token' | 'refresh_token' | 'id_token';

/**
 * How an account gets a new access token without a person: with its refresh token (when the
 * provider sent one), by running the grant again (client credentials), or not at all.
 */
export type GrantRenewal = 'refresh_token' | 'reissue' | 'none';

export interface GrantTraits {
  /** Short name for menus and lists. */
  readonly label: string;
  /** One sentence on what signing in with it means, for the add-account form. */
  readonly description: string;
  /** A person must act to get the first token and to recover from "needs sign-in". */
  readonly needsPerson: boolean;
  /** The sign-in runs in the system browser and returns to a loopback redirect URI (RFC 8252). */
  readonly needsBrowser: boolean;
  /** The person types a username and password into the broker (ROPC). */
  readonly needsPassword: boolean;
  readonly renewal: GrantRenewal;
  /** Insecure by today's standards (RFC 9700): off unless the account opts in (`allowLegacy`). */
  readonly legacy: boolean;
  /** Endpoints the grant calls; an account must name each one or an issuer to discover it. */
  readonly endpoints: readonly GrantEndpoint[];
  /** The client must authenticate at the token endpoint: `auth: none` (a public client) is refused. */
  readonly needsClientAuth: boolean;
  readonly yields: readonly TokenKind[];
  /**
   * Its tokens come from the token endpoint, so they can be bound to the account's DPoP key
   * (RFC 9449 §5). The implicit grant's token comes in the browser URL and cannot.
   */
  readonly senderConstrainable: boolean;
  /**
   * The name providers advertise it by in `grant_types_supported`.
   * @see {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-2 RFC 8414 §2}
   */
  readonly advertisedAs: string;
}

/**
 * The facts per grant. Annotated as a full `Record`, so a grant added to {@link GRANTS} without
 * an entry here does not compile (test/shared/grants.test.ts checks it at run time too).
 */
export const GRANT_TRAITS: Readonly<Record<Grant, GrantTraits>> = {
  authorization_code: {
    label: 'Authorization code + PKCE',
    description: 'Signs in through your system browser with PKCE. Best for user accounts.',
    needsPerson: true,
    needsBrowser: true,
    needsPassword: false,
    renewal: 'refresh_token',
    legacy: false,
    endpoints: ['authorization', 'token'],
    needsClientAuth: false,
    yields: ['access_token', 'refresh_token', 'id_token'],
    senderConstrainable: true,
    advertisedAs: 'authorization_code',
  },
  client_credentials: {
    label: 'Client credentials',
    description: 'The app authenticates as itself; no sign-in needed.',
    needsPerson: false,
    needsBrowser: false,
    needsPassword: false,
    renewal: 'reissue',
    legacy: false,
    endpoints: ['token'],
    needsClientAuth: true,
    yields: ['access_token'],
    senderConstrainable: true,
    advertisedAs: 'client_credentials',
  },
  device_code: {
    label: 'Device code',
    description: 'Shows a code to enter on another device or browser. Good for CLIs and headless setups.',
    needsPerson: true,
    needsBrowser: false,
    needsPassword: false,
    renewal: 'refresh_token',
    legacy: false,
    endpoints: ['device_authorization', 'token'],
    needsClientAuth: false,
    yields: ['access_token', 'refresh_token', 'id_token'],
    senderConstrainable: true,
    advertisedAs: 'urn:ietf:params:oauth:grant-type:device_code',
  },
  password: {
    label: 'Password (legacy)',
    description: 'Legacy: sends your username and password to the provider.',
    needsPerson: true,
    needsBrowser: false,
    needsPassword: true,
    renewal: 'refresh_token',
    legacy: true,
    endpoints: ['token'],
    needsClientAuth: false,
    yields: ['access_token', 'refresh_token', 'id_token'],
    senderConstrainable: true,
    advertisedAs: 'password',
  },
  implicit: {
    label: 'Implicit (legacy)',
    description: 'Legacy: the token comes back in the browser URL; no refresh token.',
    needsPerson: true,
    needsBrowser: true,
    needsPassword: false,
    renewal: 'none',
    legacy: true,
    endpoints: ['authorization'],
    needsClientAuth: false,
    yields: ['access_token'],
    senderConstrainable: false,
    advertisedAs: 'implicit',
  },
};

/** Grants that need the account's explicit opt-in (`allowLegacy`, `--allow-legacy`). */
export const LEGACY_GRANTS: readonly Grant[] = GRANTS.filter((grant) => GRANT_TRAITS[grant].legacy);

export function isGrant(value: unknown): value is Grant {
  return typeof value === 'string' && (GRANTS as readonly string[]).includes(value);
}

export function isLegacyGrant(grant: Grant): boolean {
  return GRANT_TRAITS[grant].legacy;
}
