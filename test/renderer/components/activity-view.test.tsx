import { screen, within } from '@testing-library/react';
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp } from '../support/render-app.js';

describe('Activity view', () => {
  it('lists the audit log, filters by account and client, and stays live', async () => {
    const { user, store, fake } = await renderApp({
      accounts: [accountView({ name: 'a' }), accountView({ name: 'b' })],
      audit: [
        { at: 3000, account: 'a', client: 'curl', outcome: 'granted' },
        { at: 2000, account: 'b', client: 'curl', outcome: 'denied', code: 'DENIED' },
        { at: 1000, account: 'a', client: 'git', outcome: 'needs_login', code: 'NEEDS_LOGIN' },
      ],
    });
    act(() => store.getState().navigate({ name: 'activity' }));
    const rows = () => within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows()).toHaveLength(3);
    await user.selectOptions(screen.getByLabelText('Account'), 'a');
    expect(rows()).toHaveLength(2);
    await user.selectOptions(screen.getByLabelText('Client'), 'git');
    expect(rows()).toHaveLength(1);
    expect(screen.getByText('1 of 3 entries')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(rows()).toHaveLength(3);
    act(() => fake.emit('auditAppended', { at: 4000, account: 'b', client: 'terraform', outcome: 'granted' }));
    expect(rows()).toHaveLength(4);
    expect(within(rows()[0] as HTMLElement).getByText('terraform')).toBeTruthy();
  });
});
