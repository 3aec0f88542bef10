/**
 * The window's side of issue 10: who signed in is said after every sign-in; a sign-in as another
 * user is refused with an explanation and switched only after a confirmation; an approval prompt
 * shows the verified program beside the name the caller claims.
 */
import { screen, within } from '@testing-library/react';
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp } from '../support/render-app.js';

describe('who signed in', () => {
  it('the finished sign-in names the user', async () => {
    const { user, fake } = await renderApp({
      accounts: [
        accountView({ name: 'work', status: 'needs_login', identity: { subject: 'u-1', username: 'alice', email: 'alice@example.com' } }),
      ],
    });
    await user.click(screen.getByRole('button', { name: 'Sign in to work' }));
    act(() => fake.progress({ account: 'work', phase: 'done' }));
    expect(screen.getByTestId('signed-in-as').textContent).toBe('Signed in to work as alice (alice@example.com)');
  });

  it('a sign-in as someone else is explained, and the switch needs a confirmation', async () => {
    const { user, fake } = await renderApp({ accounts: [accountView({ name: 'work', status: 'needs_login' })] });
    await user.click(screen.getByRole('button', { name: 'Sign in to work' }));
    const message = "This sign-in to 'work' was as mallory, but 'work' belongs to alice (alice@example.com). Nothing was changed.";
    act(() => fake.progress({ account: 'work', phase: 'failed', error: { code: 'IDENTITY_CHANGED', message } }));
    const alert = screen.getByRole('alert');
    expect(within(alert).getByText('Signed in as someone else')).toBeTruthy();
    expect(within(alert).getByText(message)).toBeTruthy();
    await user.click(within(alert).getByRole('button', { name: 'Switch to the new user…' }));
    const confirm = screen.getByRole('alertdialog', { name: 'Switch work to another user?' });
    // Cancel has the focus: Enter does not switch.
    expect(document.activeElement?.textContent).toBe('Cancel');
    await user.click(within(confirm).getByRole('button', { name: 'Switch and sign in' }));
    expect(fake.callsTo('signIn').at(-1)).toEqual(['work', undefined, { allowOtherUser: true }]);
  });
});

describe('approval prompts name the verified caller', () => {
  it('shows the executable and pid beside the claimed name, and a short command line', async () => {
    const { fake, clock } = await renderApp({ accounts: [accountView({ name: 'prod', approval: 'ask' })] });
    act(() =>
      fake.emit('approvalRequested', {
        id: 'r1',
        account: 'prod',
        client: 'kubectl',
        caller: { verified: true, uid: 1000, pid: 4321, exe: '/tmp/evil/not-kubectl' },
        commandLine: ['/tmp/evil/not-kubectl', 'get'],
        requestedAt: clock.value,
        expiresAt: clock.value + 60_000,
      }),
    );
    const caller = screen.getByTestId('approval-caller');
    expect(caller.textContent).toContain('kubectl');
    expect(caller.textContent).toContain('/tmp/evil/not-kubectl (pid 4321)');
    expect(caller.textContent).toContain('/tmp/evil/not-kubectl get');
  });

  it('says "unverified" for a TCP caller', async () => {
    const { fake, clock } = await renderApp({ accounts: [accountView({ name: 'prod', approval: 'ask' })] });
    act(() =>
      fake.emit('approvalRequested', {
        id: 'r2',
        account: 'prod',
        client: 'container',
        caller: { verified: false },
        requestedAt: clock.value,
        expiresAt: clock.value + 60_000,
      }),
    );
    expect(screen.getByTestId('approval-caller').textContent).toContain('unverified');
  });
});
