import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp, TestClock } from '../support/render-app.js';

describe('Accounts view', () => {
  it('leads from the empty state to adding the first account', async () => {
    const { user } = await renderApp();
    expect(screen.getByRole('heading', { name: 'No accounts yet' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Add your first account' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Add account' })).toBeTruthy();
  });

  it('shows provider, grant, status, scopes and a live countdown', async () => {
    const clock = new TestClock();
    const t = clock.value;
    const { advance } = await renderApp(
      {
        accounts: [
          accountView({ name: 'azure', preset: 'entra', scopes: ['openid', 'User.Read'], expiresAt: t + 12 * 60_000 + 30_000 }),
          accountView({ name: 'kc', preset: 'keycloak', status: 'needs_login' }),
          accountView({ name: 'okta', preset: 'okta', status: 'error', lastError: { code: 'OAUTH_ERROR', message: 'invalid_client' } }),
        ],
      },
      clock,
    );
    const row = rowOf('azure');
    expect(within(row).getByText('Microsoft Entra ID · Authorization code + PKCE')).toBeTruthy();
    expect(within(row).getByText('OK')).toBeTruthy();
    expect(within(row).getByText('expires in 12 min')).toBeTruthy();
    expect(within(row).getByText('User.Read')).toBeTruthy();
    expect(within(rowOf('kc')).getByText('Needs sign-in')).toBeTruthy();
    expect(within(rowOf('kc')).getByRole('button', { name: 'Sign in to kc' })).toBeTruthy();
    expect(within(rowOf('okta')).getByText('Error')).toBeTruthy();

    await advance(8 * 60_000);
    expect(within(rowOf('azure')).getByText('expires in 4 min')).toBeTruthy();
    expect(within(rowOf('azure')).getByText('Expiring')).toBeTruthy();
    await advance(5 * 60_000);
    expect(within(rowOf('azure')).getByText('Expired')).toBeTruthy();
    expect(within(rowOf('azure')).getByText('expired 30 s ago')).toBeTruthy();
  });

  it('updates when the broker reports changes and refreshes on click', async () => {
    const { fake, user } = await renderApp({ accounts: [accountView({ name: 'ci', grant: 'client_credentials', status: 'expired' })] });
    expect(within(rowOf('ci')).getByText('Expired')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Refresh ci' }));
    expect(fake.callsTo('refresh')).toEqual([['ci']]);
    expect(within(rowOf('ci')).getByText('OK')).toBeTruthy();
    expect(screen.getByRole('status').textContent).toContain('ci: token refreshed.');
  });

  it('opens the detail view from the account name', async () => {
    const { user } = await renderApp({ accounts: [accountView({ name: 'gh', preset: 'github' })] });
    await user.click(screen.getByRole('button', { name: 'gh' }));
    expect(screen.getByRole('heading', { level: 1, name: 'gh' })).toBeTruthy();
  });
});

function rowOf(name: string): HTMLElement {
  const row = document.querySelector<HTMLElement>(`li[data-account="${name}"]`);
  if (row === null) throw new Error(`no row for ${name}`);
  return row;
}
