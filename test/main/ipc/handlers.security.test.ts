/**
 * Defends: token values never reach the renderer. Every IPC result and every event payload the
 * window received during a session that signs in, refreshes, copies, inspects, approves and
 * fails is searched for every secret the broker held (access, refresh and ID tokens, client
 * secret, the password typed in).
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/electron-fake.js'));

import { createKeytarSecretStore } from '../../../main/core/vault/keychain.js';
import { openVault } from '../../../main/core/vault/index.js';
import type { AccountDraft, IpcChannel, IpcInvokeMap } from '../../../main/ipc/contract.js';
import { fake } from '../../support/electron-fake.js';
import { useAuthServer } from '../../support/fixtures.js';
import { clientCredentialsDraft, socketGet, useBootedApps, waitFor } from '../support/app-harness.js';

const server = useAuthServer();
const bootApp = useBootedApps();

describe('IPC never carries a token', () => {
  it('holds for results, events, notifications and error messages across a whole session', async () => {
    const booted = await bootApp();
    const transcript: unknown[] = [];
    const call = async <K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']) => {
      const result = await booted.call(channel, ...args);
      transcript.push(result);
      return result;
    };
    const password: AccountDraft = {
      name: 'pw',
      issuer: server.issuer,
      clientId: server.clients.basic.clientId,
      clientAuth: 'basic',
      clientSecret: server.clients.basic.clientSecret,
      grant: 'password',
      scopes: ['openid', 'offline_access'],
      allowLegacy: true,
      approval: 'auto',
    };
    await call('addAccount', password);
    await call('addAccount', clientCredentialsDraft(server, 'cc', { approval: 'ask' }));
    expect(await call('signIn', 'pw', { username: server.user.username, password: server.user.password })).toMatchObject({ ok: true });
    const wrong = await call('signIn', 'pw', { username: server.user.username, password: 'not-the-password-9f8e7d' });
    expect(wrong).toMatchObject({ ok: false });

    await call('refresh', 'pw');
    await call('copyToken', 'pw');
    await call('copyToken', 'cc');
    await call('tokenDetails', 'pw');
    await call('tokenDetails', 'cc');
    await call('listAccounts');
    await call('auditLog');
    await call('refresh', 'cc');
    await call('regenerateTcpKey');
    await call('copyTcpKey');
    await call('getSettings');

    // A script asks for the guarded account; the window gets the approval events.
    const response = socketGet(booted.app.daemon.socketPath, '/v1/accounts/cc/token', { 'X-Token-Broker-Client': 'script' });
    await waitFor(() => booted.app.approvals.list().length === 1);
    const pending = await call('listApprovals');
    if (!pending.ok || pending.value[0] === undefined) throw new Error('no approval');
    await call('answerApproval', pending.value[0].id, 'once');
    const handout = await response;
    expect(handout.status).toBe(200);
    const scriptToken = (handout.body as { access_token: string }).access_token;

    const secrets = new Set<string>([
      server.clients.basic.clientSecret,
      server.user.password,
      'not-the-password-9f8e7d',
      scriptToken,
      ...fake.clipboard.writes.filter((text) => text !== ''),
    ]);
    const sent = fake.windows.flatMap((window) => window.webContents.sent);
    await booted.app.quit();

    const vault = await openVault({ dataDir: booted.home, secretStore: createKeytarSecretStore() });
    try {
      for (const name of ['pw', 'cc']) {
        const tokens = vault.get(name)?.tokens;
        for (const value of [tokens?.accessToken, tokens?.refreshToken, tokens?.idToken]) if (value) secrets.add(value);
      }
      expect(vault.get('pw')?.tokens?.refreshToken).toEqual(expect.any(String));
      expect(vault.get('pw')?.tokens?.idToken).toEqual(expect.any(String));
    } finally {
      await vault.close();
    }

    expect(sent.length).toBeGreaterThan(5);
    const everything = JSON.stringify({
      transcript,
      sent,
      notifications: fake.notifications.map((n) => [n.title, n.body]),
      tray: fake.trays.map((t) => [t.tooltip, t.title, JSON.stringify(t.contextMenu?.items ?? [])]),
      errorBoxes: fake.dialog.errorBoxes,
    });
    expect(secrets.size).toBeGreaterThanOrEqual(7);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(everything.includes(secret), `a secret (${secret.length} chars) crossed IPC`).toBe(false);
    }
  });
});
