/** The CLI's output helpers: nothing a terminal or a line-based consumer acts on is printed raw. */
import { describe, expect, it } from 'vitest';
import { escapeForTerminal, hasUnsafeCharacter, requireSafeValue, safeJsonStringify } from '../../main/cli/output-safety.js';
import { CliError } from '../../main/cli/exit.js';

const UNSAFE = ['\n', '\r', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\u200e', '\u202e', '\u2066'];
// eslint-disable-next-line no-control-regex -- asserting the absence of raw control characters
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('output safety', () => {
  it('knows which characters are unsafe', () => {
    for (const char of UNSAFE) expect(hasUnsafeCharacter(`a${char}b`), JSON.stringify(char)).toBe(true);
    expect(hasUnsafeCharacter('plain ASCII, ünïcödé and emoji 🔑 are fine')).toBe(false);
  });

  it('escapeForTerminal shows them as visible escapes and leaves the rest alone', () => {
    expect(escapeForTerminal('a\nb\r\tc\u001b[31md\u009be\u202ef')).toBe('a\\nb\\r\\tc\\x1b[31md\\x9be\\u202ef');
    expect(escapeForTerminal('/usr/bin/node')).toBe('/usr/bin/node');
    for (const char of UNSAFE) expect(escapeForTerminal(`x${char}y`)).not.toMatch(RAW);
  });

  it('safeJsonStringify never emits one raw, and parses back to the same value', () => {
    const value = { token: UNSAFE.join(''), nested: [`x${UNSAFE.join('y')}`] };
    const json = safeJsonStringify(value);
    expect(json).not.toMatch(RAW);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('requireSafeValue returns a clean value and refuses an unsafe one with exit 1 / INVALID_RESPONSE', () => {
    expect(requireSafeValue('abc.DEF-_~+/=!', 'access token')).toBe('abc.DEF-_~+/=!');
    for (const char of UNSAFE) {
      let thrown: unknown;
      try {
        requireSafeValue(`abc${char}def`, 'access token');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CliError);
      expect((thrown as CliError).exitCode).toBe(1);
      expect((thrown as CliError).code).toBe('INVALID_RESPONSE');
      expect((thrown as CliError).message).toContain('access token');
      expect((thrown as CliError).message).not.toContain('abc');
    }
  });
});

describe('messages that span lines', () => {
  it('keepLineBreaks leaves \\n and escapes the rest', () => {
    expect(escapeForTerminal('line one\nline \u001b[2Jtwo\r', { keepLineBreaks: true })).toBe('line one\nline \\x1b[2Jtwo\\r');
  });
});
