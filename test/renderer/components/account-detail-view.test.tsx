import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp, TestClock } from '../support/render-app.js';

async function openDetail() {
  const clock = new TestClock();
  const t = clock.value;
  const app = await renderApp(
    {
      accounts: [
        accountView({
          name: 'azure',
          preset: 'entra',
          expiresAt: t + 30 * 60_000,
          scopes: ['openid', 'User.Read'],
          identity: { subject: 'f3a1-77', username: 'alice@contoso.example', email: 'alice@example.com' },
          idTokenExpiresAt: t + 12 * 60_000,
          usesIdToken: true,
          registryHosts: ['contoso.azurecr.io'],
          kubernetesTokenType: 'id_token',
        }),
        accountView({ name: 'other' }),
      ],
      tokenDetails: {
        azure: {
          tokenType: 'Bearer',
          scope: 'openid User.Read',
          obtainedAt: t - 30 * 60_000,
          expiresAt: t + 30 * 60_000,
          hasRefreshToken: true,
          hasIdToken: true,
          lastRefreshAt: t - 30 * 60_000,
          lastRefreshOutcome: 'ok',
          accessTokenClaims: { sub: 'alice', aud: 'api://prod', exp: Math.floor((t + 30 * 60_000) / 1000) },
          idTokenClaims: { email: 'alice@example.com' },
        },
      },
      audit: [
        { at: t - 60_000, account: 'azure', client: 'kubectl', outcome: 'granted' },
        { at: t - 120_000, account: 'other', client: 'curl', outcome: 'granted' },
      ],
    },
    clock,
  );
  app.store.getState().navigate({ name: 'account', account: 'azure' });
  await screen.findByText('Bearer');
  return app;
}

describe('Account detail', () => {
  it('shows token metadata, decoded claims and this account’s activity', async () => {
    await openDetail();
    const token = screen.getByRole('region', { name: 'Token' });
    expect(within(token).getByText('Refresh token').nextElementSibling?.textContent).toBe('Yes');
    expect(within(token).getByText('succeeded')).toBeTruthy();
    expect(within(token).getByText('Expires').nextElementSibling?.textContent).toContain('(in 30 min)');
    // The ID token's own expiry, beside the access token's.
    expect(within(token).getByText('ID token').nextElementSibling?.textContent).toMatch(/^Expires .*\(in 12 min\)$/);
    const config = screen.getByRole('region', { name: 'Configuration' });
    expect(within(config).getByText('Container registries').nextElementSibling?.textContent).toBe('contoso.azurecr.io');
    expect(within(config).getByText('Kubernetes credential').nextElementSibling?.textContent).toBe('ID token');
    const claims = screen.getByRole('region', { name: 'Access token claims' });
    expect(within(claims).getByText('api://prod')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'ID token claims' })).getByText('alice@example.com')).toBeTruthy();
    const activity = screen.getByRole('region', { name: 'Activity' });
    expect(within(activity).getByText('kubectl')).toBeTruthy();
    expect(within(activity).queryByText('curl')).toBeNull();
  });

  it('copies the token in main and says when the clipboard clears', async () => {
    const { user, fake } = await openDetail();
    await user.click(screen.getByRole('button', { name: 'Copy access token' }));
    expect(fake.callsTo('copyToken')).toEqual([['azure']]);
    expect(screen.getByRole('status').textContent).toContain('Copied — clipboard clears in 30 s');
  });

  it('refreshes now and reloads the metadata', async () => {
    const { user, fake } = await openDetail();
    const before = fake.callsTo('tokenDetails').length;
    await user.click(screen.getByRole('button', { name: 'Refresh now' }));
    expect(fake.callsTo('refresh')).toEqual([['azure']]);
    expect(fake.callsTo('tokenDetails').length).toBeGreaterThan(before);
  });

  it('signs out only after confirmation', async () => {
    const { user, fake } = await openDetail();
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Sign out of azure?' });
    expect(document.activeElement?.textContent).toBe('Cancel');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(fake.callsTo('signOut')).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Sign out' }));
    expect(fake.callsTo('signOut')).toEqual([['azure']]);
    expect(await screen.findByText('Needs sign-in')).toBeTruthy();
  });

  it('removes the account after confirmation and returns to the list', async () => {
    const { user, fake } = await openDetail();
    await user.click(screen.getByRole('button', { name: 'Remove' }));
    await user.click(within(screen.getByRole('alertdialog', { name: 'Remove azure?' })).getByRole('button', { name: 'Remove account' }));
    expect(fake.callsTo('removeAccount')).toEqual([['azure']]);
    expect(await screen.findByRole('heading', { level: 1, name: 'Accounts' })).toBeTruthy();
    expect(document.querySelector('li[data-account="azure"]')).toBeNull();
  });
});

describe('Account detail: who is signed in', () => {
  it('names the signed-in user in the header, with the subject on hover', async () => {
    await openDetail();
    const who = screen.getByText('alice@contoso.example');
    expect(who.closest('span')?.textContent).toBe('signed in as alice@contoso.example');
    expect(who.closest('span')?.getAttribute('title')).toBe('Subject: f3a1-77');
  });
});
