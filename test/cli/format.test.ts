import { describe, expect, it } from 'vitest';
import {
  describeExpiry,
  formatIdToken,
  formatToken,
  gitCredentialAnswer,
  parseGitCredentialInput,
  rfc3339,
  shellQuote,
  table,
  type TokenBody,
} from '../../main/cli/format.js';
import { stripTrailingNewline } from '../../main/cli/stdin.js';

const body: TokenBody = { access_token: 'eyJ.abc-_~', token_type: 'bearer', expires_at: 1_800_000_000, expires_in: 300, scope: 'read' };

describe('token formats', () => {
  it('raw, json, header, env', () => {
    expect(formatToken(body, 'raw')).toBe('eyJ.abc-_~\n');
    expect(JSON.parse(formatToken(body, 'json'))).toEqual(body);
    expect(formatToken(body, 'header')).toBe('Authorization: Bearer eyJ.abc-_~\n');
    expect(formatToken(body, 'env')).toBe(
      'export ACCESS_TOKEN=eyJ.abc-_~\nexport TOKEN_TYPE=Bearer\nexport TOKEN_BROKER_EXPIRES_AT=1800000000\n',
    );
    expect(formatToken({ ...body, token_type: 'DPoP', expires_at: null }, 'header')).toBe('Authorization: DPoP eyJ.abc-_~\n');
  });

  it('quotes env values only when the shell needs it', () => {
    expect(shellQuote('abc=')).toBe('abc=');
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
    expect(formatToken({ ...body, access_token: 'a$b' }, 'env')).toContain("export ACCESS_TOKEN='a$b'");
  });
});

describe('ID token formats', () => {
  const id = { id_token: 'eyJ.id', expires_at: 1_800_000_000, expires_in: 600 };
  it('raw, json, header, env', () => {
    expect(formatIdToken(id, 'raw')).toBe('eyJ.id\n');
    expect(JSON.parse(formatIdToken(id, 'json'))).toEqual(id);
    expect(formatIdToken(id, 'header')).toBe('Authorization: Bearer eyJ.id\n');
    expect(formatIdToken(id, 'env')).toBe('export ID_TOKEN=eyJ.id\nexport TOKEN_BROKER_EXPIRES_AT=1800000000\n');
    expect(rfc3339(0)).toBe('1970-01-01T00:00:00Z');
  });
});

describe('git credential protocol', () => {
  it('parses key=value lines up to the blank line', () => {
    expect(parseGitCredentialInput('protocol=https\nhost=github.com\npath=acme/x.git\n\nignored=1\n')).toEqual({
      protocol: 'https',
      host: 'github.com',
      path: 'acme/x.git',
    });
    expect(parseGitCredentialInput('host=a=b\r\nbogus\n')).toEqual({ host: 'a=b' });
  });

  it('answers username, password and expiry', () => {
    expect(gitCredentialAnswer('oauth2', body)).toBe('username=oauth2\npassword=eyJ.abc-_~\npassword_expiry_utc=1800000000\n');
  });
});

describe('small helpers', () => {
  it('describes expiry', () => {
    expect(describeExpiry(null, 0)).toBe('-');
    expect(describeExpiry(100, 100)).toBe('expired');
    expect(describeExpiry(130, 100)).toBe('in 30s');
    expect(describeExpiry(100 + 3 * 3600 + 120, 100)).toBe('in 3h 2m');
  });

  it('strips exactly one trailing newline', () => {
    expect(stripTrailingNewline('s3cret\n')).toBe('s3cret');
    expect(stripTrailingNewline('s3cret\r\n')).toBe('s3cret');
    expect(stripTrailingNewline('s3cret\n\n')).toBe('s3cret\n');
    expect(stripTrailingNewline('-----BEGIN-----\nabc\n-----END-----\n')).toBe('-----BEGIN-----\nabc\n-----END-----');
  });

  it('aligns table columns', () => {
    expect(
      table([
        ['A', 'BB'],
        ['CCC', 'D'],
      ]),
    ).toBe('A    BB\nCCC  D\n');
  });
});
