/**
 * What the CLI prints must never carry a character a terminal or a line-based consumer acts on:
 * a line break ends an `Authorization:` header, an `env` assignment or a git credential line
 * early (header injection), an escape sequence re-programs the terminal, a bidi override makes
 * text read differently from what it is. Provider data that reaches stdout goes through one of
 * these helpers: machine formats refuse such a value, JSON escapes it, and text for a person shows
 * it as a visible escape. Dependency-free: the `token` hot path loads it.
 *
 * The broker already refuses such provider values (core/oauth/provider-values.ts); this is the
 * second line, for a broker of another version or a value that came another way.
 */
import { CliError, EXIT } from './exit.js';

/**
 * C0 controls, DEL, C1 controls (a terminal takes U+009B as CSI), the Unicode line and paragraph
 * separators, and the bidirectional controls ("Trojan Source", CVE-2021-42574).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw among {@link UNSAFE} (it escapes U+0000-001F itself). */
const JSON_RAW = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function hex(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** True when `text` holds a character this module never prints raw. */
export function hasUnsafeCharacter(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * Text for a person: every unsafe character becomes a visible escape (`\n`, `\x1b`, `\u202e`).
 * `keepLineBreaks` leaves `\n` alone, for messages of our own that span lines.
 */
export function escapeForTerminal(text: string, options: { keepLineBreaks?: boolean } = {}): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (char) => (char === '\n' && options.keepLineBreaks === true ? char : (NAMED[char] ?? hex(char))));
}

/** JSON in which no unsafe character appears raw (they become `\uXXXX`, which every JSON parser reads back). */
export function safeJsonStringify(value: unknown): string {
  const json = JSON.stringify(value);
  return json.replace(JSON_RAW, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A value bound for a line-based format (a header, an `env` line, git's `key=value` protocol):
 * returned as it is, or refused with exit 1 and `INVALID_RESPONSE` — escaping would hand the
 * consumer a different token than the provider issued.
 */
export function requireSafeValue(value: string, what: string): string {
  if (!UNSAFE.test(value)) return value;
  throw new CliError(
    `the ${what} the broker returned contains a control character; it was not printed (the provider's answer is invalid — check the broker's version and the provider)`,
    EXIT.error,
    'INVALID_RESPONSE',
  );
}
