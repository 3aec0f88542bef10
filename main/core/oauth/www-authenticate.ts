/**
 * Reading `WWW-Authenticate` challenges (RFC 9110 §11.6.1) the way resource servers send them
 * for Bearer (RFC 6750 §3) and DPoP (RFC 9449 §7.1): a scheme followed by `name=value` or
 * `name="quoted value"` parameters, several challenges separated by commas.
 */

/** One challenge: the scheme in lower case and its auth-params (names in lower case). */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const SPACE = /[ \t]*/y;

/**
 * Parses every challenge of one or more `WWW-Authenticate` field values. Malformed input ends
 * the parse: what was read so far is returned, never an exception (the header comes from an
 * upstream we do not control).
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-11.6.1 RFC 9110 §11.6.1}, {@link https://www.rfc-editor.org/rfc/rfc6750.html#section-3 RFC 6750 §3}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-7.1 RFC 9449 §7.1}
 */
export function parseWwwAuthenticate(header: string | readonly string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const text = typeof header === 'string' ? header : header.join(', ');
  const challenges: AuthChallenge[] = [];
  let at = 0;
  const skip = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (match === null) return undefined;
    at = pattern.lastIndex;
    return match[0];
  };
  const skipSeparators = (): void => {
    while (at < text.length && (text[at] === ',' || text[at] === ' ' || text[at] === '\t')) at += 1;
  };
  skipSeparators();
  while (at < text.length) {
    const scheme = skip(TOKEN);
    if (scheme === undefined) break;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      skip(SPACE);
      const start = at;
      const name = skip(TOKEN);
      if (name === undefined) break;
      skip(SPACE);
      if (text[at] !== '=') {
        // The next challenge's scheme (or a token68, which no scheme we read uses).
        at = start;
        break;
      }
      at += 1;
      skip(SPACE);
      const value = text[at] === '"' ? readQuoted() : skip(TOKEN);
      if (value === undefined) return challenges;
      challenge.params[name.toLowerCase()] = value;
      skip(SPACE);
      if (text[at] !== ',') break;
      at += 1;
    }
    skipSeparators();
  }
  return challenges;

  function readQuoted(): string | undefined {
    let value = '';
    for (at += 1; at < text.length; at += 1) {
      const char = text[at] as string;
      if (char === '"') {
        at += 1;
        return value;
      }
      if (char === '\\' && at + 1 < text.length) at += 1;
      value += text[at] as string;
    }
    return undefined;
  }
}

/** The `error` parameter of the first challenge of `scheme` (lower case) that has one. */
export function challengeError(challenges: readonly AuthChallenge[], scheme?: string): string | undefined {
  for (const challenge of challenges) {
    if (scheme !== undefined && challenge.scheme !== scheme) continue;
    const error = challenge.params['error'];
    if (error !== undefined) return error;
  }
  return undefined;
}
