/**
 * Making outside text safe to show: URLs without credentials or query strings, and provider
 * descriptions reduced to short printable ASCII.
 */

/** Longest provider-supplied description we repeat to the user. */
export const MAX_DESCRIPTION_LENGTH = 300;

/**
 * A URL reduced to origin + path, for error messages: query strings can carry codes or tokens,
 * and userinfo can carry a password.
 */
export function safeUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * An issuer exactly as it was compared, for ISSUER_MISMATCH messages: quoted (JSON string syntax,
 * so a trailing slash, a space or a control character shows) and bounded. Issuers are public
 * identifiers without query or fragment (RFC 8414 §2), so showing them whole reveals nothing.
 */
export function quoteIssuer(issuer: string): string {
  const shown = issuer.length > 300 ? `${issuer.slice(0, 300)}…` : issuer;
  return JSON.stringify(shown);
}

/**
 * An `error_description` (RFC 6749 §5.2 limits it to %x20-21 / %x23-5B / %x5D-7E) made safe to
 * show: anything outside printable ASCII is replaced and the text is truncated. Returns
 * undefined for anything that is not a non-empty string.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2 RFC 6749 §5.2}
 */
export function sanitizeDescription(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const printable = value.replace(/[^\x20-\x7e]/g, '?').trim();
  if (printable === '') return undefined;
  return printable.length > MAX_DESCRIPTION_LENGTH ? `${printable.slice(0, MAX_DESCRIPTION_LENGTH)}...` : printable;
}

/** An OAuth `error` code (RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E), or undefined when malformed. */
export function sanitizeErrorCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(value) ? value : undefined;
}

/**
 * Removes every occurrence of the given secrets from a text (belt and braces for provider
 * descriptions that echo the request): each secret as is, percent-encoded and form-encoded,
 * since that is how it travelled.
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 4) continue;
    const variants = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ v: secret }).toString().slice(2)]);
    for (const variant of variants) out = out.split(variant).join('[redacted]');
  }
  return out;
}

/** First letter upper-case, for messages that start with an endpoint's name ("token endpoint …"). */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
