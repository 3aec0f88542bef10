import { describe, expect, it } from 'vitest';
import { explainError } from '../../../renderer/lib/explain-error.js';
import type { IpcError } from '../../../main/ipc/contract.js';

describe('explainError', () => {
  it.each([
    ['access_denied', /declined/],
    ['invalid_client', /client credentials/],
    ['invalid_grant', /Sign in again/],
    ['invalid_scope', /scopes/],
    ['unauthorized_client', /not allowed to use this grant/],
  ])('explains the OAuth error %s', (oauthError, sentence) => {
    expect(explainError({ code: 'OAUTH_ERROR', message: 'x', oauthError })).toMatch(sentence);
  });

  it.each([
    ['TIMEOUT', /too long/],
    ['CANCELLED', /cancelled/],
    ['PROVIDER_UNREACHABLE', /could not be reached/],
  ] as const)('explains the broker code %s', (code, sentence) => {
    expect(explainError({ code, message: 'raw' })).toMatch(sentence);
  });

  it('falls back to the provider error name, then the message', () => {
    expect(explainError({ code: 'OAUTH_ERROR', message: 'x', oauthError: 'weird_thing' })).toContain('weird_thing');
    // A code this renderer does not know yet (a newer main) still shows the broker's own message.
    const unknown = { code: 'SOMETHING_NEW', message: 'The broker says why.' } as unknown as IpcError;
    expect(explainError(unknown)).toBe('The broker says why.');
  });
});
