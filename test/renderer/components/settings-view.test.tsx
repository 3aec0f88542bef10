import { screen, within } from '@testing-library/react';
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp } from '../support/render-app.js';

describe('Settings view', () => {
  it('shows the socket path with copy and ready-to-paste snippets for the chosen account', async () => {
    const { user, store } = await renderApp({
      accounts: [accountView({ name: 'gh' }), accountView({ name: 'prod' })],
      settings: { socketPath: '/tmp/tb/broker.sock' },
    });
    act(() => store.getState().navigate({ name: 'settings' }));
    expect(screen.getByTestId('socket-path').textContent).toBe('/tmp/tb/broker.sock');
    await user.click(screen.getByRole('button', { name: 'Copy path' }));
    expect(await navigator.clipboard.readText()).toBe('/tmp/tb/broker.sock');
    expect(screen.getByLabelText('curl snippet').textContent).toBe(
      'curl --unix-socket /tmp/tb/broker.sock http://broker/v1/accounts/gh/token',
    );
    await user.selectOptions(screen.getByLabelText('Account'), 'prod');
    expect(screen.getByLabelText('CLI snippet').textContent).toBe('token-broker token prod --format raw');
    expect(screen.getByLabelText('kubectl (kubeconfig user) snippet').textContent).toContain('"kubectl-credential", "prod"');
  });

  it('switches the TCP listener, copies and regenerates its key, toggles start at login', async () => {
    const { user, store, fake } = await renderApp();
    act(() => store.getState().navigate({ name: 'settings' }));
    expect((screen.getByRole('button', { name: 'Copy key' }) as HTMLButtonElement).disabled).toBe(true);
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), '70000');
    await user.click(screen.getByRole('switch', { name: 'Listen on 127.0.0.1' }));
    expect(screen.getByText(/Use a port between/)).toBeTruthy();
    expect(fake.callsTo('updateSettings')).toEqual([[{ tcpListener: { enabled: true } }]]);
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), '8765');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(fake.callsTo('updateSettings')[1]).toEqual([{ tcpListener: { enabled: true, port: 8765 } }]);
    expect(screen.getByTestId('tcp-state').textContent).toBe('Listening on 127.0.0.1:8765');
    expect(screen.getByText(/Changes apply at once/)).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Copy key' }));
    expect(fake.callsTo('copyTcpKey')).toHaveLength(1);
    expect(screen.getByRole('status').textContent).toContain('Key copied — clipboard clears in 30 s');

    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Regenerate' }));
    expect(fake.callsTo('regenerateTcpKey')).toHaveLength(1);
    expect(screen.getByRole('status').textContent).toContain('New key in effect: the old key is refused from now on.');

    await user.click(screen.getByRole('switch', { name: 'Start at login' }));
    expect(fake.callsTo('updateSettings').at(-1)).toEqual([{ startAtLogin: true }]);
    expect((screen.getByRole('switch', { name: 'Start at login' }) as HTMLInputElement).checked).toBe(true);
  });

  it('says when an enabled listener is not listening, and why', async () => {
    const { store } = await renderApp({ settings: { tcpListener: { enabled: true, port: 8765 } } });
    act(() => store.getState().navigate({ name: 'settings' }));
    expect(screen.getByTestId('tcp-state').textContent).toBe(
      'Not listening: the port could not be opened. Choose another port, or 0 for any free one.',
    );
  });
});
