import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, wantsHelp } from '../../main/cli/args.js';
import { queryString } from '../../main/cli/client.js';

const TOKEN_OPTIONS = { 'min-ttl': { type: 'string' }, scope: { type: 'string' }, format: { type: 'string', default: 'raw' } } as const;

describe('parse', () => {
  it('answers arguments without options as parseArgs does (positionals and the defaults), without calling it', () => {
    for (const args of [['work'], ['work', 'extra'], ['-'], []]) {
      const expected = parseArgs({ args, options: TOKEN_OPTIONS, allowPositionals: true, strict: true });
      const ours = (() => {
        try {
          return parse('token', args, TOKEN_OPTIONS, { min: 0, max: 5, names: 'NAME' });
        } catch (error) {
          return error;
        }
      })();
      expect(ours).toEqual({ values: { ...expected.values }, positionals: expected.positionals });
    }
  });

  it('hands anything with an option to parseArgs, and its complaints become usage errors', () => {
    expect(parse('token', ['work', '--format', 'json'], TOKEN_OPTIONS, { min: 1, max: 1, names: 'NAME' }).values).toEqual({
      format: 'json',
    });
    expect(() => parse('token', ['work', '--nope'], TOKEN_OPTIONS, { min: 1, max: 1, names: 'NAME' })).toThrow(
      expect.objectContaining({
        exitCode: 2,
        context: { problem: expect.objectContaining({ problem: { kind: 'unknown-option', option: 'nope' } }) },
      }),
    );
    expect(() => parse('token', [], TOKEN_OPTIONS, { min: 1, max: 1, names: 'the account NAME' })).toThrow(
      expect.objectContaining({
        exitCode: 2,
        context: { problem: expect.objectContaining({ problem: { kind: 'missing-argument', names: 'the account NAME' } }) },
      }),
    );
  });

  it('sees --help only before `--`', () => {
    expect(wantsHelp(['work', '-h'])).toBe(true);
    expect(wantsHelp(['work', '--', 'cmd', '--help'])).toBe(false);
  });
});

describe('queryString', () => {
  it('percent-encodes the parameters that are set, in order, and is empty without any', () => {
    expect(queryString({})).toBe('');
    expect(queryString({ min_ttl: undefined })).toBe('');
    expect(queryString({ min_ttl: '60', scope: 'a b&c=d' })).toBe('?min_ttl=60&scope=a%20b%26c%3Dd');
    expect(new URLSearchParams(queryString({ host: 'git.example.com', path: 'org/repo.git' }).slice(1)).get('path')).toBe('org/repo.git');
  });
});
