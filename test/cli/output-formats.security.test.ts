/**
 * Header injection through the CLI's output formats (issue 10 item 7): whatever the broker
 * answers, `--format header|env|raw|json`, git-credential and kubectl-credential never emit a
 * control character from provider data — machine formats refuse it, JSON escapes it.
 */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../main/cli/exit.js';
import { credentialsReply, errorReply } from '../../main/cli/docker-credential.js';
import { buildExecCredential } from '../../main/cli/exec-credential.js';
import { formatIdToken, formatToken, gitCredentialAnswer, TOKEN_FORMATS, type TokenBody } from '../../main/cli/format.js';

function execCredential(body: TokenBody): string {
  return buildExecCredential('client.authentication.k8s.io/v1', body.access_token, body.expires_at);
}

// eslint-disable-next-line no-control-regex -- asserting the absence of raw control characters
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CLEAN: TokenBody = { access_token: 'at-123', token_type: 'Bearer', expires_at: 1_700_000_000, expires_in: 3600, scope: 'api' };

const HOSTILE: [string, TokenBody][] = [
  ['token_type with CRLF', { ...CLEAN, token_type: 'Bearer\r\nX-Injected: 1' }],
  ['access token with LF', { ...CLEAN, access_token: 'abc\nX-Injected: 1' }],
  ['access token with an escape sequence', { ...CLEAN, access_token: 'abc\u001b]52;c;ZXZpbA==\u0007' }],
  ['access token with CSI (C1)', { ...CLEAN, access_token: 'abc\u009b2J' }],
  ['scope with a bidi override', { ...CLEAN, scope: 'api\u202eevil' }],
];

/** The output either does not exist (refused with INVALID_RESPONSE) or has no raw control character. */
function check(render: () => string): void {
  let output: string;
  try {
    output = render();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('INVALID_RESPONSE');
    return;
  }
  // One trailing newline per line is the format's own; nothing else.
  for (const line of output.split('\n')) expect(line, JSON.stringify(output)).not.toMatch(RAW_CONTROL);
  expect(output.split('\n').length - 1, `${JSON.stringify(output)} has extra lines`).toBeLessThanOrEqual(4);
}

describe.each(HOSTILE)('%s', (_name, body) => {
  it.each(TOKEN_FORMATS)('--format %s', (format) => {
    check(() => formatToken(body, format));
    // A header or a bare token cannot be escaped without changing it: refused.
    const printed = format === 'raw' ? [body.access_token] : format === 'header' ? [body.access_token, body.token_type] : [];
    if (printed.some((value) => RAW_CONTROL.test(value))) expect(() => formatToken(body, format)).toThrow(CliError);
  });

  it('git-credential', () => {
    check(() => gitCredentialAnswer('oauth2', body));
    if (body.access_token !== CLEAN.access_token) expect(() => gitCredentialAnswer('oauth2', body)).toThrow(CliError);
  });

  it('kubectl-credential', () => {
    check(() => execCredential(body));
    if (RAW_CONTROL.test(body.access_token)) expect(() => execCredential(body)).toThrow(CliError);
  });

  it('ID token formats (token --id-token)', () => {
    for (const format of TOKEN_FORMATS) {
      check(() => formatIdToken({ id_token: body.access_token, expires_at: 1_700_000_000, expires_in: 3600 }, format));
    }
  });

  it('docker-credential-token-broker', () => {
    check(() => credentialsReply('registry.example', 'oauth2', body.access_token).stdout);
    check(() => errorReply(`the provider said ${body.token_type}`).stdout);
  });
});

describe('the env format with a hostile token', () => {
  it('never starts a second assignment', () => {
    check(() => formatToken({ ...CLEAN, access_token: "x'\nEVIL=1\n'" }, 'env'));
  });
});

describe('clean values print unchanged', () => {
  it('header, env, raw, json, git, kubectl', () => {
    expect(formatToken(CLEAN, 'header')).toBe('Authorization: Bearer at-123\n');
    expect(formatToken(CLEAN, 'raw')).toBe('at-123\n');
    expect(JSON.parse(formatToken(CLEAN, 'json'))).toEqual(CLEAN);
    expect(formatToken(CLEAN, 'env')).toContain('ACCESS_TOKEN=at-123\n');
    expect(gitCredentialAnswer('oauth2', CLEAN)).toBe('username=oauth2\npassword=at-123\npassword_expiry_utc=1700000000\n');
    expect(JSON.parse(execCredential(CLEAN)).status.token).toBe('at-123');
  });
});
