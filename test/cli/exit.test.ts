import { describe, expect, it } from 'vitest';
import { parse, parseSeconds } from '../../main/cli/args.js';
import { EXIT, exitCodeForApiError } from '../../main/cli/exit.js';

describe('exit codes', () => {
  it('maps API errors to the documented exit codes (README: 1 error, 2 usage, 3 needs login, 4 denied)', () => {
    expect(exitCodeForApiError('NEEDS_LOGIN')).toBe(3);
    expect(exitCodeForApiError('DENIED')).toBe(4);
    expect(exitCodeForApiError('LEGACY_GRANT_REFUSED')).toBe(2);
    // A bad value in the request (name, URL, min_ttl) is a usage error too.
    expect(exitCodeForApiError('INVALID_REQUEST')).toBe(2);
    expect(exitCodeForApiError('CONFIG_INVALID')).toBe(2);
    expect(exitCodeForApiError('PROVIDER_ERROR')).toBe(1);
  });
});

describe('argument parsing', () => {
  it('turns unknown flags and missing positionals into usage errors (exit 2)', () => {
    expect(() => parse('token', ['x', '--bogus'], {}, { min: 1, max: 1, names: 'NAME' })).toThrow(
      expect.objectContaining({ exitCode: EXIT.usage }),
    );
    expect(() => parse('token', [], {}, { min: 1, max: 1, names: 'NAME' })).toThrow(expect.objectContaining({ exitCode: EXIT.usage }));
    expect(() => parse('token', ['a', 'b'], {}, { min: 1, max: 1, names: 'NAME' })).toThrow(
      expect.objectContaining({ exitCode: EXIT.usage }),
    );
    expect(() => parseSeconds('token', '--min-ttl', '-5')).toThrow(expect.objectContaining({ exitCode: EXIT.usage }));
    expect(parseSeconds('token', '--min-ttl', '60')).toBe(60);
  });

  it('parses repeatable and --flag=value options', () => {
    const { values, positionals } = parse(
      'account add',
      ['n', '--git-host', 'a', '--git-host=b', '--allow-legacy'],
      { 'git-host': { type: 'string', multiple: true }, 'allow-legacy': { type: 'boolean' } },
      { min: 1, max: 1, names: 'NAME' },
    );
    expect(positionals).toEqual(['n']);
    expect(values['git-host']).toEqual(['a', 'b']);
    expect(values['allow-legacy']).toBe(true);
  });
});
