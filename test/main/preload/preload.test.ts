import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/electron-fake.js'));

import { IPC_INVOKE_CHANNELS, type AccountView, type BrokerApi } from '../../../main/ipc/contract.js';
import { fake } from '../../support/electron-fake.js';
import { useAuthServer } from '../../support/fixtures.js';
import { clientCredentialsDraft, useBootedApps, waitFor } from '../support/app-harness.js';

const server = useAuthServer();
const bootApp = useBootedApps();
// Each test loads the preload afresh, as each window does.
beforeEach(() => {
  vi.resetModules();
});

async function loadPreload(): Promise<BrokerApi> {
  await import('../../../preload/index.js');
  return fake.contextBridge.mainWorld['broker'] as BrokerApi;
}

describe('preload', () => {
  it('exposes exactly one frozen window.broker with one function per contract channel and on', async () => {
    const broker = await loadPreload();
    expect(Object.keys(fake.contextBridge.mainWorld)).toEqual(['broker']);
    expect(Object.keys(broker).sort()).toEqual([...Object.keys(IPC_INVOKE_CHANNELS), 'on'].sort());
    expect(Object.isFrozen(broker)).toBe(true);
    for (const value of Object.values(broker)) expect(typeof value).toBe('function');
    expect(broker).not.toHaveProperty('invoke');
    expect(broker).not.toHaveProperty('send');
  });

  it('on() accepts only contract events and never hands the IPC event to the page', async () => {
    const broker = await loadPreload();
    expect(() => broker.on('bogus' as never, () => {})).toThrow(TypeError);
    expect(() => broker.on('__proto__' as never, () => {})).toThrow(TypeError);
    expect(() => broker.on('toString' as never, () => {})).toThrow(TypeError);
    const received: unknown[][] = [];
    const off = broker.on('approvalResolved', (...args: unknown[]) => received.push(args));
    fake.ipcRenderer.deliver('broker-event:approvalResolved', [{ id: 'x' }]);
    expect(received).toEqual([[{ id: 'x' }]]);
    off();
    fake.ipcRenderer.deliver('broker-event:approvalResolved', [{ id: 'y' }]);
    expect(received).toHaveLength(1);
    expect(fake.ipcRenderer.listenerCount('broker-event:approvalResolved')).toBe(0);
  });

  it('talks to the real main process end to end: calls pass the sender check, events arrive', async () => {
    await bootApp();
    await new Promise((r) => setImmediate(r));
    fake.attachPreloadTo(fake.windows[0]!.webContents);
    const broker = await loadPreload();
    const changes: AccountView[][] = [];
    broker.on('accountsChanged', (accounts) => changes.push(accounts));
    const added = await broker.addAccount(clientCredentialsDraft(server, 'ci'));
    expect(added).toMatchObject({ ok: true, value: { name: 'ci' } });
    await waitFor(() => changes.some((list) => list.some((a) => a.name === 'ci')));
    expect(await broker.listAccounts()).toMatchObject({ ok: true, value: [{ name: 'ci' }] });
    expect(fake.ipcRenderer.invocations.map((i) => i.channel)).toEqual(['broker:addAccount', 'broker:listAccounts']);
  });
});
