import { screen, within } from '@testing-library/react';
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp } from '../support/render-app.js';

describe('Sign-in panel', () => {
  it('waits for the browser with Cancel, then reports cancellation', async () => {
    const { user, fake } = await renderApp({ accounts: [accountView({ name: 'kc', status: 'needs_login' })] });
    await user.click(screen.getByRole('button', { name: 'Sign in to kc' }));
    const dialog = screen.getByRole('dialog', { name: 'Sign in to kc' });
    act(() => fake.progress({ account: 'kc', phase: 'waiting_for_browser', url: 'http://127.0.0.1:5000/start/abc' }));
    expect(within(dialog).getByText('Waiting for your browser…')).toBeTruthy();
    // The start link works once, so "no page" starts a new sign-in rather than reopening it.
    await user.click(within(dialog).getByRole('button', { name: 'Start the sign-in again' }));
    expect(fake.callsTo('signIn')).toEqual([['kc'], ['kc']]);
    expect(fake.callsTo('openVerificationUri')).toEqual([]);
    act(() => fake.progress({ account: 'kc', phase: 'waiting_for_browser', url: 'http://127.0.0.1:5000/start/def' }));
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(fake.callsTo('cancelSignIn')).toEqual([['kc']]);
    expect(await within(dialog).findByText('Sign-in cancelled')).toBeTruthy();
    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('shows the device code large with copy and open-page buttons, then success', async () => {
    const { user, fake, clock } = await renderApp({ accounts: [accountView({ name: 'gh', grant: 'device_code', status: 'needs_login' })] });
    await user.click(screen.getByRole('button', { name: 'Sign in to gh' }));
    act(() =>
      fake.progress({
        account: 'gh',
        phase: 'device_code',
        userCode: 'WDJB-MJHT',
        verificationUri: 'https://github.com/login/device',
        expiresAt: clock.value + 600_000,
      }),
    );
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByTestId('user-code').textContent).toBe('WDJB-MJHT');
    expect(within(dialog).getByText('The code expires in 10 min.')).toBeTruthy();
    await user.click(within(dialog).getByRole('button', { name: 'Copy code' }));
    expect(await navigator.clipboard.readText()).toBe('WDJB-MJHT');
    await user.click(within(dialog).getByRole('button', { name: 'Open verification page' }));
    expect(fake.callsTo('openVerificationUri')).toEqual([['gh']]);
    await act(async () => fake.finishSignIn('gh'));
    expect(within(dialog).getByText('Signed in to gh')).toBeTruthy();
    expect(document.querySelector('li[data-account="gh"]')?.getAttribute('data-status')).toBe('ok');
  });

  it('explains a provider error', async () => {
    const { user, fake } = await renderApp({ accounts: [accountView({ name: 'kc', status: 'needs_login' })] });
    await user.click(screen.getByRole('button', { name: 'Sign in to kc' }));
    await act(async () =>
      fake.finishSignIn('kc', {
        error: {
          code: 'OAUTH_ERROR',
          message: 'access_denied',
          oauthError: 'access_denied',
          oauthErrorDescription: 'End-User aborted interaction',
        },
      }),
    );
    const alert = within(screen.getByRole('dialog')).getByRole('alert');
    expect(alert.textContent).toContain('Sign-in failed');
    expect(alert.textContent).toContain('The sign-in was declined at the provider');
    expect(alert.textContent).toContain('End-User aborted interaction');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('asks for the password grant’s credentials, sends them once and clears them', async () => {
    const { user, fake } = await renderApp({
      accounts: [accountView({ name: 'legacy', grant: 'password', allowLegacy: true, status: 'needs_login' })],
    });
    await user.click(screen.getByRole('button', { name: 'Sign in to legacy' }));
    expect(fake.callsTo('signIn')).toHaveLength(0);
    await user.type(screen.getByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'wonderland');
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Sign in' }));
    expect(fake.callsTo('signIn')).toEqual([['legacy', { username: 'alice', password: 'wonderland' }]]);
    expect(document.querySelector('input[type="password"]')).toBeNull();
    expect(JSON.stringify(fake.callsTo('signIn'))).toContain('wonderland');
    expect(document.body.innerHTML).not.toContain('wonderland');
  });

  it('cancels a running sign-in when the dialog is closed with Escape', async () => {
    const { user, fake } = await renderApp({ accounts: [accountView({ name: 'kc', status: 'needs_login' })] });
    await user.click(screen.getByRole('button', { name: 'Sign in to kc' }));
    await user.keyboard('{Escape}');
    expect(fake.callsTo('cancelSignIn')).toEqual([['kc']]);
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
