/** Clients cannot pass themselves off as the desktop app, in any spelling (issue 10 item 13). */
import { describe, expect, it } from 'vitest';
import { foldClientName, sanitizeClientName } from '../../../main/core/api/wire.js';

describe('sanitizeClientName', () => {
  it.each([
    'Token Broker app',
    'Token-Broker app',
    'token_broker app',
    'TOKEN.BROKER app',
    'T0ken Br0ker app',
    'TokenBroker',
    'token-broker app',
    'Token Broker',
  ])('%s is relabelled', (claim) => {
    expect(sanitizeClientName(claim)).toBe(`socket: ${claim}`);
  });

  it('the CLI’s own names and ordinary names are kept', () => {
    for (const name of [
      'token-broker token',
      'token-broker-cli',
      'token-broker exec terraform',
      'kubectl',
      'git',
      'deploy.sh',
      'broker-tool',
      'Token Brokerage',
    ]) {
      expect(sanitizeClientName(name)).toBe(name);
    }
  });

  it('folds case, punctuation and look-alike digits', () => {
    expect(foldClientName('T0KEN-Br0ker APP 1')).toBe('tokenbrokerappl');
  });
});
