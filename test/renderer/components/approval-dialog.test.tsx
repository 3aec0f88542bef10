import { screen, within } from '@testing-library/react';
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp } from '../support/render-app.js';

describe('Approval dialog', () => {
  it('asks when a script requests an approval account, with a countdown to auto-deny', async () => {
    const { fake, clock, advance, user } = await renderApp({ accounts: [accountView({ name: 'prod', approval: 'ask' })] });
    act(() =>
      fake.emit('approvalRequested', {
        id: 'r1',
        account: 'prod',
        client: 'kubectl',
        requestedAt: clock.value,
        expiresAt: clock.value + 60_000,
      }),
    );
    const dialog = screen.getByRole('alertdialog', { name: 'Allow kubectl to get a token for prod?' });
    expect(within(dialog).getByTestId('approval-countdown').textContent).toContain('Denied automatically in 1 min.');
    // Focus starts on Deny, so a stray Enter cannot hand out a token.
    expect(document.activeElement?.textContent).toBe('Deny');
    await advance(45_000);
    expect(within(dialog).getByTestId('approval-countdown').textContent).toContain('in 15 s');
    await user.click(within(dialog).getByRole('button', { name: 'Allow for 1 hour' }));
    expect(fake.answers).toEqual([{ id: 'r1', answer: 'hour' }]);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('traps focus, denies on Escape and shows the next request', async () => {
    const { fake, clock, user } = await renderApp();
    act(() => {
      fake.emit('approvalRequested', { id: 'r1', account: 'a', client: 'curl', requestedAt: clock.value, expiresAt: clock.value + 60_000 });
      fake.emit('approvalRequested', { id: 'r2', account: 'b', client: 'git', requestedAt: clock.value, expiresAt: clock.value + 60_000 });
    });
    expect(screen.getByTestId('approval-countdown').textContent).toContain('1 more waiting');
    await user.tab({ shift: true });
    expect(document.activeElement?.textContent).toBe('Allow once');
    await user.tab();
    expect(document.activeElement?.textContent).toBe('Deny');
    await user.keyboard('{Escape}');
    expect(fake.answers).toEqual([{ id: 'r1', answer: 'deny' }]);
    expect(screen.getByRole('alertdialog', { name: 'Allow git to get a token for b?' })).toBeTruthy();
    act(() => fake.emit('approvalResolved', { id: 'r2' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });
});
