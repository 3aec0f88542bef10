/** config.json's `proxies` and the account's `dpop` / `tokenExchange`: what is accepted, what is refused and how it is said. */
import { describe, expect, it } from 'vitest';
import { validateAccountInput, validateConfig } from '../../../main/core/accounts/validate.js';
import type { BrokerError } from '../../../main/core/errors.js';

const account = { name: 'api', provider: { issuer: 'https://id.example.com' }, client: { id: 'c' }, grant: 'client_credentials' };

function refusal(action: () => unknown): BrokerError {
  try {
    action();
  } catch (error) {
    return error as BrokerError;
  }
  throw new Error('expected a refusal');
}

describe('proxies in config.json', () => {
  it('accepts a TCP or a Unix-socket proxy for an existing account', () => {
    const config = validateConfig({
      version: 1,
      accounts: [account],
      proxies: [
        { account: 'api', upstream: 'https://api.example.com/v2', listen: '127.0.0.1:8080' },
        { account: 'api', upstream: 'http://127.0.0.1:9000', socket: '/run/user/1000/api.sock' },
        { account: 'api', upstream: 'https://api.example.com', listen: '[::1]:0' },
      ],
    });
    expect(config.proxies).toHaveLength(3);
  });

  it('refuses unknown accounts, non-loopback addresses, both or neither address, and upstreams with credentials or a query', () => {
    const error = refusal(() =>
      validateConfig({
        version: 1,
        accounts: [account],
        proxies: [
          { account: 'nope', upstream: 'https://api.example.com', listen: '127.0.0.1:1' },
          { account: 'api', upstream: 'https://api.example.com', listen: '0.0.0.0:8080' },
          { account: 'api', upstream: 'https://api.example.com', listen: '127.0.0.1:1', socket: '/x.sock' },
          { account: 'api', upstream: 'https://api.example.com' },
          { account: 'api', upstream: 'https://user:pw@api.example.com', listen: '127.0.0.1:2' },
          { account: 'api', upstream: 'https://api.example.com/?q=1', listen: '127.0.0.1:3' },
        ],
      }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('proxies[1].listen');
    expect(error.message).toContain('set exactly one of listen and socket');
    expect(error.message).toContain('proxies[4].upstream');
    expect(error.message).toContain('proxies[5].upstream');
    expect(error.message).not.toContain('pw@');
  });

  it('names a proxy whose account does not exist', () => {
    const error = refusal(() =>
      validateConfig({
        version: 1,
        accounts: [account],
        proxies: [{ account: 'nope', upstream: 'https://api.example.com', listen: '127.0.0.1:1' }],
      }),
    );
    expect(error.message).toContain('proxies[0].account: no account named "nope"');
  });
});

describe('dpop and tokenExchange on an account', () => {
  it('defaults dpop to auto and takes an audience list', () => {
    expect(validateAccountInput({ ...account, tokenExchange: { audiences: ['https://reports.example.com'] } })).toMatchObject({
      dpop: 'auto',
      tokenExchange: { audiences: ['https://reports.example.com'] },
    });
  });

  it('refuses dpop: on for the implicit grant, an unknown mode and an empty audience list', () => {
    const implicit = refusal(() => validateAccountInput({ ...account, grant: 'implicit', allowLegacy: true, dpop: 'on' }));
    expect(implicit.message).toContain('dpop: the implicit grant cannot bind tokens to a key');
    expect(refusal(() => validateAccountInput({ ...account, dpop: 'maybe' })).message).toContain('dpop');
    expect(refusal(() => validateAccountInput({ ...account, tokenExchange: { audiences: [] } })).message).toContain(
      'tokenExchange.audiences',
    );
  });
});
