/**
 * What the window shows of issue 14: that an account's tokens are sender-constrained (DPoP), its
 * DPoP and token exchange settings, and proxied requests and proofs in the activity table.
 */
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp, TestClock } from '../support/render-app.js';

describe('sender-constrained accounts', () => {
  it('marks an account whose tokens are DPoP-bound, shows its settings and what its proxies did', async () => {
    const clock = new TestClock();
    const t = clock.value;
    const app = await renderApp(
      {
        accounts: [
          accountView({
            name: 'bound',
            expiresAt: t + 30 * 60_000,
            dpop: 'auto',
            senderConstrained: true,
            exchangeAudiences: ['https://api.example.test'],
          }),
          accountView({ name: 'plain', expiresAt: t + 30 * 60_000, dpop: 'off' }),
        ],
        tokenDetails: {
          bound: { tokenType: 'DPoP', obtainedAt: t - 60_000, expiresAt: t + 30 * 60_000, hasRefreshToken: true, hasIdToken: false },
        },
        audit: [
          {
            at: t - 60_000,
            account: 'bound',
            client: 'proxy api.example.test',
            outcome: 'granted',
            kind: 'proxy',
            method: 'GET',
            host: 'api.example.test',
            status: 200,
          },
          {
            at: t - 90_000,
            account: 'bound',
            client: 'proxy api.example.test',
            outcome: 'refused',
            kind: 'proxy',
            method: 'GET',
            host: 'api.example.test',
            status: 403,
          },
          {
            at: t - 120_000,
            account: 'bound',
            client: 'deploy.sh',
            outcome: 'granted',
            kind: 'dpop_proof',
            method: 'POST',
            host: 'api.example.test',
          },
        ],
      },
      clock,
    );
    app.store.getState().navigate({ name: 'account', account: 'bound' });
    await screen.findByText('DPoP');
    expect(screen.getByText('Sender-constrained (DPoP)')).toBeTruthy();
    expect(screen.getByText('When the provider supports it')).toBeTruthy();
    expect(screen.getByText('https://api.example.test')).toBeTruthy();
    const activity = screen.getByRole('table');
    expect(within(activity).getByText(/proxied GET api\.example\.test → 200/)).toBeTruthy();
    expect(within(activity).getByText('Refused')).toBeTruthy();
    expect(within(activity).getByText(/DPoP proof POST api\.example\.test/)).toBeTruthy();

    app.store.getState().navigate({ name: 'account', account: 'plain' });
    await screen.findByText('Off (Bearer tokens)');
    expect(screen.queryByText('Sender-constrained (DPoP)')).toBeNull();
  });
});
