import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/electron-fake.js'));

import { silentLogger } from '../../../main/core/ports.js';
import { createKeytarSecretStore } from '../../../main/core/vault/keychain.js';
import { openVault } from '../../../main/core/vault/index.js';
import { IPC_INVOKE_CHANNELS } from '../../../main/ipc/contract.js';
import { BrokerError } from '../../../main/core/errors.js';
import { startApp } from '../../../main/electron/main.js';
import { CONTENT_SECURITY_POLICY } from '../../../main/electron/window.js';
import { fake, FakeBrowserWindow } from '../../support/electron-fake.js';
import { useAuthServer } from '../../support/fixtures.js';
import { clientCredentialsDraft, DIST_DIR, PAGE_URL, REPO_ROOT, socketGet, useBootedApps, type Booted } from '../support/app-harness.js';

const server = useAuthServer();
const bootApp = useBootedApps();

const mainWindow = (): FakeBrowserWindow => {
  const window = fake.windows[0];
  if (window === undefined) throw new Error('no window');
  return window;
};

describe('the window', () => {
  it('is created with the secure webPreferences and loads only the app page', async () => {
    await bootApp();
    const window = mainWindow();
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: join(DIST_DIR, 'preload/index.cjs'),
    });
    expect(window.loadedFile).toBe(join(DIST_DIR, 'renderer/index.html'));
    expect(window.loadedUrl).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(window.webContents.getURL()).toBe(PAGE_URL);
  });

  it('sends a strict CSP header, and the page carries the same policy as a meta tag', async () => {
    await bootApp();
    const headers = await fake.session.receiveHeaders(PAGE_URL, { 'Content-Type': ['text/html'] });
    expect(headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(headers['Content-Type']).toEqual(['text/html']);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    const html = await readFile(join(REPO_ROOT, 'renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    // Same policy; frame-ancestors only works as a header, so the meta tag leaves it out.
    expect(`${meta}; frame-ancestors 'none'`).toBe(CONTENT_SECURITY_POLICY);
    expect(meta).not.toContain('unsafe');
  });

  it('blocks navigation, redirects, window.open and webviews, also in web contents created later', async () => {
    await bootApp();
    const contents = mainWindow().webContents;
    expect(contents.navigate('https://evil.example/')).toBe(false);
    expect(contents.redirect('https://evil.example/')).toBe(false);
    expect(contents.openWindow('https://evil.example/')).toBe(false);
    expect(contents.attachWebview('https://evil.example/')).toBe(false);
    const other = new FakeBrowserWindow({});
    expect(other.webContents.navigate('https://evil.example/')).toBe(false);
    expect(other.webContents.openWindow('https://evil.example/')).toBe(false);
  });

  it('denies every permission request and check', async () => {
    await bootApp();
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      await expect(fake.session.requestPermission(permission)).resolves.toBe(false);
      expect(fake.session.checkPermission(permission)).toBe(false);
    }
  });

  it('sends broker events to our window only', async () => {
    const booted = await bootApp();
    const other = new FakeBrowserWindow({});
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    expect(mainWindow().webContents.sent.map((m) => m.channel)).toContain('broker-event:accountsChanged');
    expect(other.webContents.sent).toEqual([]);
  });

  it('hides on close and keeps serving the token API', async () => {
    const booted = await bootApp();
    const window = mainWindow();
    window.close();
    expect(window.isDestroyed()).toBe(false);
    expect(window.isVisible()).toBe(false);
    const health = await socketGet(booted.app.daemon.socketPath, '/v1/health');
    expect(health.status).toBe(200);
  });
});

describe('IPC binding', () => {
  it('has a handler for every contract channel and nothing else', async () => {
    await bootApp();
    expect([...fake.ipcMain.handlers.keys()].sort()).toEqual(Object.values(IPC_INVOKE_CHANNELS).sort());
  });

  it('refuses foreign senders without calling the handler', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'keep'));
    const channel = IPC_INVOKE_CHANNELS.removeAccount;
    const denied = { ok: false, error: { code: 'DENIED', message: expect.any(String) } };
    // Another URL in our main frame (e.g. after a navigation that slipped through).
    expect(await fake.ipcMain.invoke(channel, 'https://evil.example/', 'keep')).toEqual(denied);
    expect(await fake.ipcMain.invoke(channel, 'file:///tmp/other.html', 'keep')).toEqual(denied);
    // The right URL, but from a subframe.
    const contents = mainWindow().webContents;
    const iframe = contents.mainFrame.addChildFrame(PAGE_URL);
    expect(await fake.ipcMain.invokeFrom(channel, { sender: contents, frame: iframe }, 'keep')).toEqual(denied);
    // The right URL in another window's main frame.
    const other = new FakeBrowserWindow({});
    await other.loadURL(PAGE_URL);
    expect(await fake.ipcMain.invokeFrom(channel, { sender: other.webContents, frame: other.webContents.mainFrame }, 'keep')).toEqual(
      denied,
    );
    // No frame at all (it went away).
    expect(await fake.ipcMain.invokeFrom(channel, { sender: contents, frame: null }, 'keep')).toEqual(denied);
    // Nothing happened.
    const accounts = await booted.ok('listAccounts');
    expect(accounts.map((a) => a.name)).toEqual(['keep']);
  });

  it('accepts the page URL with a fragment (client-side routing)', async () => {
    await bootApp();
    const result = await fake.ipcMain.invoke(IPC_INVOKE_CHANNELS.listAccounts, `${PAGE_URL}#/settings`);
    expect(result).toEqual({ ok: true, value: [] });
  });

  it('refuses bad input with INVALID_REQUEST and no side effects', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'keep'));
    const bad: Array<[string, unknown[]]> = [
      ['removeAccount', [42]],
      ['removeAccount', ['../../etc']],
      ['removeAccount', ['keep', 'extra']],
      ['removeAccount', []],
      ['addAccount', [{ ...clientCredentialsDraft(server, 'x'), unexpected: true }]],
      ['addAccount', [{ ...clientCredentialsDraft(server, 'x'), grant: 'magic' }]],
      ['addAccount', [{ ...clientCredentialsDraft(server, 'x'), issuer: 'javascript:alert(1)' }]],
      ['updateAccount', ['keep', null]],
      ['answerApproval', ['id', 'forever']],
      ['updateSettings', [{ tcpListener: { enabled: true, port: 70_000 } }]],
      ['auditLog', [{ limit: -1 }]],
      ['signIn', ['keep', { username: 'u' }]],
    ];
    for (const [channel, args] of bad) {
      const result = await fake.ipcMain.invoke(`broker:${channel}`, PAGE_URL, ...args);
      expect(result, channel).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
    const accounts = await booted.ok('listAccounts');
    expect(accounts.map((a) => a.name)).toEqual(['keep']);
    expect((await booted.ok('getSettings')).tcpListener.enabled).toBe(false);
  });
});

describe('startup failure', () => {
  it('explains a broker that cannot start (no keychain) and exits 1 without a window', async () => {
    const running = await startApp({
      dataDir: '/nonexistent',
      argv: [],
      startDaemon: () =>
        Promise.reject(
          new BrokerError('KEYCHAIN_UNAVAILABLE', 'No keychain is reachable. Start a Secret Service or set TOKEN_BROKER_PASSPHRASE_FILE.'),
        ),
    });
    expect(running).toBeUndefined();
    expect(fake.app.exitCode).toBe(1);
    expect(fake.dialog.errorBoxes).toEqual([
      { title: 'Token Broker could not start', content: expect.stringContaining('KEYCHAIN_UNAVAILABLE') },
    ]);
    expect(fake.windows).toHaveLength(0);
  });
});

describe('single instance', () => {
  it('quits at once when another instance holds the lock', async () => {
    fake.app.singleInstanceLock = false;
    const running = await startApp({ dataDir: '/nonexistent', argv: [] });
    expect(running).toBeUndefined();
    expect(fake.app.quitCalls).toBe(1);
    expect(fake.windows).toHaveLength(0);
    expect(fake.ipcMain.handlers.size).toBe(0);
  });

  it('shows and focuses the window when a second instance starts', async () => {
    await bootApp();
    const window = mainWindow();
    window.hide();
    window.minimize();
    const focusBefore = window.focusCount;
    fake.app.launchSecondInstance(['token-broker']);
    expect(window.isVisible()).toBe(true);
    expect(window.isMinimized()).toBe(false);
    expect(window.focusCount).toBe(focusBefore + 1);
  });

  it('starts hidden in the tray when launched at login', async () => {
    await bootApp({ argv: ['electron', '.', '--hidden'] });
    await new Promise((r) => setImmediate(r));
    expect(mainWindow().isVisible()).toBe(false);
  });
});

describe('quit', () => {
  it('closes the socket, flushes the vault, then exits', async () => {
    const booted = await bootApp();
    const { socketPath } = booted.app.daemon;
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    await booted.ok('refresh', 'ci');
    expect((await socketGet(socketPath, '/v1/health')).status).toBe(200);

    await booted.app.quit();
    expect(fake.app.exitCode).toBe(0);

    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const socket = connect(socketPath);
      socket.on('connect', () => {
        socket.destroy();
        resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' }));
      });
      socket.on('error', resolve);
    });
    expect(['ECONNREFUSED', 'ENOENT']).toContain(error.code);

    // The vault on disk (not memory) holds what was written before quitting.
    const vault = await openVault({ dataDir: booted.home, secretStore: createKeytarSecretStore() });
    try {
      const secrets = vault.get('ci');
      expect(secrets?.clientSecret).toBe(server.clients.basic.clientSecret);
      expect(secrets?.tokens?.accessToken).toEqual(expect.any(String));
    } finally {
      await vault.close();
    }
  });

  it('a quit while a window close is attempted still shuts down cleanly once', async () => {
    const booted = await bootApp();
    fake.app.quit();
    fake.app.quit();
    await booted.app.quit();
    expect(fake.app.exitCode).toBe(0);
    expect(fake.ipcMain.handlers.size).toBe(0);
    expect(fake.trays[0]?.destroyed).toBe(true);
  });
});

describe('TCP listener', () => {
  /** Resolves with the connect error code, or 'CONNECTED'. */
  const connectTcp = (port: number): Promise<string> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('CONNECTED');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'ERROR'));
    });
  const tokenOverTcp = async (port: number | undefined, key?: string): Promise<number> => {
    const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
    return (await fetch(`http://127.0.0.1:${port}/v1/accounts/ci/token`, { headers })).status;
  };
  const copiedKey = async (app: Booted): Promise<string> => {
    const copied = await app.ok('copyTcpKey');
    expect(Object.keys(copied)).toEqual(['clearsAt']);
    return fake.clipboard.text;
  };
  const occupyPort = (): Promise<NetServer> =>
    new Promise((resolve) => {
      const holder = createNetServer();
      holder.listen(0, '127.0.0.1', () => resolve(holder));
    });
  const portOf = (holder: NetServer): number => (holder.address() as AddressInfo).port;
  const release = (holder: NetServer): Promise<unknown> => new Promise((resolve) => holder.close(resolve));

  it('starts, re-binds and stops at once from the settings, and a regenerated key applies without a restart', async () => {
    const booted = await bootApp();
    const { socketPath } = booted.app.daemon;
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));

    const enabled = await booted.ok('updateSettings', { tcpListener: { enabled: true, port: 0 } });
    const port = booted.app.daemon.api.tcpAddress?.port;
    expect(enabled.tcpListener).toEqual({ enabled: true, port, address: `127.0.0.1:${port}` });
    const key = await copiedKey(booted);
    expect(await tokenOverTcp(port, key)).toBe(200);
    expect(await tokenOverTcp(port)).toBe(401);

    // "Regenerate key": the old key is refused at once and the new one (copied again) works.
    const regenerated = await booted.ok('regenerateTcpKey');
    expect(regenerated.tcpListener.address).toBe(`127.0.0.1:${port}`);
    expect(await tokenOverTcp(port, key)).toBe(401);
    const newKey = await copiedKey(booted);
    expect(newKey).not.toBe(key);
    expect(await tokenOverTcp(port, newKey)).toBe(200);

    // A new port: bound at once, the old one closed.
    const holder = await occupyPort();
    const newPort = portOf(holder);
    await release(holder);
    const moved = await booted.ok('updateSettings', { tcpListener: { enabled: true, port: newPort } });
    expect(moved).toMatchObject({ tcpListener: { enabled: true, port: newPort, address: `127.0.0.1:${newPort}` } });
    expect(await tokenOverTcp(newPort, newKey)).toBe(200);
    expect(await connectTcp(port ?? 0)).toBe('ECONNREFUSED');

    // Off: the port refuses connections, the socket keeps serving.
    const off = await booted.ok('updateSettings', { tcpListener: { enabled: false } });
    expect(off.tcpListener).toEqual({ enabled: false, port: newPort });
    expect(booted.app.daemon.api.tcpAddress).toBeUndefined();
    expect(await connectTcp(newPort)).toBe('ECONNREFUSED');
    expect((await socketGet(socketPath, '/v1/health')).status).toBe(200);

    // The saved setting is what the next start uses.
    const config = JSON.parse(await readFile(join(booted.home, 'config.json'), 'utf8')) as { settings: { tcpListener: unknown } };
    expect(config.settings.tcpListener).toEqual({ enabled: false, port: newPort });
  });

  it('a taken port: the window is told why, the running listener and the saved setting stay as they were', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    await booted.ok('updateSettings', { tcpListener: { enabled: true, port: 0 } });
    const port = booted.app.daemon.api.tcpAddress?.port;
    const key = await copiedKey(booted);
    const holder = await occupyPort();
    try {
      const result = await booted.call('updateSettings', { tcpListener: { enabled: true, port: portOf(holder) } });
      expect(result).toMatchObject({
        ok: false,
        error: { code: 'CONFIG_INVALID', message: expect.stringContaining(`Port ${portOf(holder)} on 127.0.0.1 is in use`) },
      });
      expect(booted.app.daemon.configStore.get().settings.tcpListener).toEqual({ enabled: true, port: 0 });
      expect((await booted.ok('getSettings')).tcpListener).toEqual({ enabled: true, port, address: `127.0.0.1:${port}` });
      // Clients may have sent the key to whoever holds the new port: it was replaced, and the
      // running listener takes the new one at once.
      expect(await tokenOverTcp(port, key)).toBe(401);
      const newKey = await copiedKey(booted);
      expect(newKey).not.toBe(key);
      expect(await tokenOverTcp(port, newKey)).toBe(200);
    } finally {
      await release(holder);
    }
  });

  it('a saved port taken at start leaves the broker serving; applying the setting again starts the listener', async () => {
    const holder = await occupyPort();
    const port = portOf(holder);
    const home = await mkdtemp(join(tmpdir(), 'tb-app-'));
    await writeFile(
      join(home, 'config.json'),
      JSON.stringify({ version: 1, accounts: [], settings: { tcpListener: { enabled: true, port }, startAtLogin: false } }),
      { mode: 0o600 },
    );
    const warnings: string[] = [];
    const booted = await bootApp({ logger: { ...silentLogger, warn: (line) => warnings.push(line) } }, { home }).finally(() =>
      release(holder),
    );
    expect(warnings).toEqual([expect.stringContaining(`[daemon] TCP listener not running on 127.0.0.1:${port} (CONFIG_INVALID)`)]);
    const health = await socketGet(booted.app.daemon.socketPath, '/v1/health');
    expect(health.status).toBe(200);
    const settings = await booted.ok('getSettings');
    expect(settings).toMatchObject({ tcpListener: { enabled: true, port, problem: expect.stringContaining('is in use') } });
    expect(settings.tcpListener.address).toBeUndefined();
    // The tray says so too (the attention icon and the reason), until the listener runs.
    const tray = fake.trays.at(-1);
    expect(tray?.tooltip).toContain(`TCP listener not running: port ${port} is taken`);
    expect(String(tray?.image.path)).toContain('attention');

    // The port is free again: "Apply" with the same setting starts it, no restart.
    const applied = await booted.ok('updateSettings', { tcpListener: { enabled: true, port } });
    expect(applied.tcpListener.address).toBe(`127.0.0.1:${port}`);
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    expect(await tokenOverTcp(port, await copiedKey(booted))).toBe(200);
  });
});

describe('start at login', () => {
  it('follows the setting and remembers it in config.json', async () => {
    const booted = await bootApp();
    expect(fake.app.loginItemSettings.openAtLogin).toBe(false);
    const settings = await booted.ok('updateSettings', { startAtLogin: true });
    expect(settings.startAtLogin).toBe(true);
    expect(fake.app.loginItemSettings).toEqual({ openAtLogin: true, args: ['--hidden'] });
    const config = JSON.parse(await readFile(join(booted.home, 'config.json'), 'utf8')) as { settings: { startAtLogin: boolean } };
    expect(config.settings.startAtLogin).toBe(true);
  });
});
