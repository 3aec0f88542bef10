import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/electron-fake.js'));

import { IPC_EVENT_CHANNELS } from '../../../main/ipc/contract.js';
import { fake, type FakeMenu } from '../../support/electron-fake.js';
import { useAuthServer } from '../../support/fixtures.js';
import { clientCredentialsDraft, socketGet, useBootedApps, waitFor, type Booted } from '../support/app-harness.js';
import { followStartUrl } from '../../support/login.js';

const server = useAuthServer({}, { freshCounters: true });
const bootApp = useBootedApps();

const tray = () => {
  const instance = fake.trays[0];
  if (instance === undefined) throw new Error('no tray');
  return instance;
};
const menu = (): FakeMenu => {
  const current = tray().contextMenu;
  if (current === null) throw new Error('no tray menu');
  return current;
};
const accountLabel = (name: string): string => {
  const item = menu().items.find((candidate) => candidate.label?.startsWith(`${name} — `));
  if (item?.label === undefined) throw new Error(`no menu item for ${name}`);
  return item.label;
};
const sentEvents = (event: keyof typeof IPC_EVENT_CHANNELS) =>
  (fake.windows[0]?.webContents.sent ?? []).filter((entry) => entry.channel === IPC_EVENT_CHANNELS[event]).map((entry) => entry.args[0]);

describe('tray', () => {
  it('starts with the all-good icon and rebuilds on broker events', async () => {
    const booted = await bootApp();
    expect(tray().image.path).toMatch(/build\/tray\/all-good\.png$/);
    expect(tray().image.isEmpty()).toBe(false);
    expect(tray().tooltip).toContain('no accounts');
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    await booted.ok('refresh', 'ci');
    await waitFor(() => accountLabel('ci').includes('expires in'));
    expect(accountLabel('ci')).toMatch(/^ci — expires in (59|60) min$/);
    expect(tray().tooltip).toContain('ci: expires in');
  });

  it('refreshes its countdown on a 30 s timer', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    await booted.ok('refresh', 'ci');
    await waitFor(() => accountLabel('ci').includes('expires in'));
    // 56 minutes later the token expires within 5 minutes: the icon turns "expiring".
    booted.clock.advance(56 * 60_000);
    expect(accountLabel('ci')).toMatch(/^ci — expires in [34] min$/);
    expect(tray().image.path).toMatch(/expiring\.png$/);
  });

  it('menu actions call the broker: Refresh now and Copy access token (cleared after 30 s)', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    await booted.ok('refresh', 'ci');
    await waitFor(() => accountLabel('ci').includes('expires in'));
    const before = server.tokenRequests['client_credentials'] ?? 0;

    menu().click(accountLabel('ci'), 'Refresh now');
    await waitFor(() => (server.tokenRequests['client_credentials'] ?? 0) === before + 1);

    menu().click(accountLabel('ci'), 'Copy access token');
    await waitFor(() => fake.clipboard.text !== '');
    const token = fake.clipboard.text;
    expect((await server.introspect(token)).active).toBe(true);
    booted.clock.advance(29_000);
    expect(fake.clipboard.text).toBe(token);
    booted.clock.advance(1_000);
    await waitFor(() => fake.clipboard.text === '');
  });

  it('on macOS uses template icons and a short title', async () => {
    const booted = await bootApp({ platform: 'darwin' });
    expect(tray().image.path).toMatch(/build\/tray\/all-goodTemplate\.png$/);
    expect(tray().image.isTemplateImage()).toBe(true);
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    await booted.ok('refresh', 'ci');
    await waitFor(() => tray().title !== '');
    expect(tray().title).toMatch(/^(59|60)m$/);
  });

  it('Sign in again starts the browser sign-in from the tray and brings the window forward', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', {
      name: 'web',
      issuer: server.issuer,
      clientId: server.clients.public.clientId,
      clientAuth: 'none',
      grant: 'authorization_code',
      scopes: ['openid'],
      allowLegacy: false,
      approval: 'auto',
    });
    await waitFor(() => accountLabel('web') === 'web — needs sign-in');
    expect(tray().image.path).toMatch(/attention\.png$/);
    fake.windows[0]?.hide();
    menu().click('web — needs sign-in', 'Sign in again');
    expect(fake.windows[0]?.isVisible()).toBe(true);
    await waitFor(() => fake.shell.opened.length === 1);
    // The browser is sent to the sign-in's one-shot start URL, which leads to the provider.
    expect(fake.shell.opened[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\//);
    expect((await followStartUrl(fake.shell.opened[0] as string)).url.startsWith(server.issuer)).toBe(true);
    await booted.ok('cancelSignIn', 'web');
  });

  it('Open Token Broker shows the window; Quit quits', async () => {
    await bootApp();
    fake.windows[0]?.hide();
    menu().click('Open Token Broker');
    expect(fake.windows[0]?.isVisible()).toBe(true);
    menu().click('Quit');
    await waitFor(() => fake.app.exitCode === 0);
  });
});

describe('copy token', () => {
  it('returns only when the clipboard clears, and clears after 30 s if unchanged', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    const { clearsAt } = await booted.ok('copyToken', 'ci');
    expect(clearsAt).toBe(booted.clock.now() + 30_000);
    const token = fake.clipboard.text;
    expect(token.length).toBeGreaterThan(10);
    booted.clock.advance(30_000);
    await waitFor(() => fake.clipboard.text === '');
  });

  it('leaves the clipboard alone if the user copied something else', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    await booted.ok('copyToken', 'ci');
    await fake.clipboard.writeText('my own notes');
    booted.clock.advance(30_000);
    await new Promise((r) => setImmediate(r));
    expect(fake.clipboard.text).toBe('my own notes');
  });

  it('clears a still-copied token when the app quits', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'ci'));
    await booted.ok('copyToken', 'ci');
    await booted.app.quit();
    expect(fake.clipboard.text).toBe('');
  });
});

describe('approval prompt', () => {
  const askToken = (socketPath: string) =>
    socketGet(socketPath, '/v1/accounts/guarded/token', { 'X-Token-Broker-Client': 'deploy-script' });

  async function pendingRequest(app: Booted) {
    await waitFor(() => sentEvents('approvalRequested').length > 0);
    const [request] = await app.ok('listApprovals');
    if (request === undefined) throw new Error('no pending approval');
    return request;
  }

  it('asks in the window (focused, notification) and "once" lets one request through', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'guarded', { approval: 'ask' }));
    fake.windows[0]?.hide();
    const response = askToken(booted.app.daemon.socketPath);
    const request = await pendingRequest(booted);
    expect(request).toMatchObject({ account: 'guarded', client: 'deploy-script' });
    expect(request.expiresAt - request.requestedAt).toBe(60_000);
    expect(fake.windows[0]?.isVisible()).toBe(true);
    expect(fake.notifications.map((n) => n.body)).toContain('Allow deploy-script to get a token for guarded?');

    await booted.ok('answerApproval', request.id, 'once');
    expect((await response).status).toBe(200);
    expect(sentEvents('approvalResolved')).toEqual([{ id: request.id }]);

    // "once" is once: the next request asks again.
    const again = askToken(booted.app.daemon.socketPath);
    await waitFor(() => sentEvents('approvalRequested').length === 2);
    const [second] = await booted.ok('listApprovals');
    await booted.ok('answerApproval', second!.id, 'deny');
    expect((await again).status).toBe(403);
  });

  it('"hour" allows the same client for 60 minutes without asking', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'guarded', { approval: 'ask' }));
    const first = askToken(booted.app.daemon.socketPath);
    const request = await pendingRequest(booted);
    await booted.ok('answerApproval', request.id, 'hour');
    expect((await first).status).toBe(200);
    expect((await askToken(booted.app.daemon.socketPath)).status).toBe(200);
    expect(sentEvents('approvalRequested')).toHaveLength(1);
    booted.clock.advance(60 * 60_000);
    const later = askToken(booted.app.daemon.socketPath);
    await waitFor(() => sentEvents('approvalRequested').length === 2);
    const [third] = await booted.ok('listApprovals');
    await booted.ok('answerApproval', third!.id, 'deny');
    expect((await later).status).toBe(403);
  });

  it('"deny" answers 403 DENIED', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'guarded', { approval: 'ask' }));
    const response = askToken(booted.app.daemon.socketPath);
    const request = await pendingRequest(booted);
    await booted.ok('answerApproval', request.id, 'deny');
    const { status, body } = await response;
    expect(status).toBe(403);
    expect(body).toMatchObject({ error: { code: 'DENIED' } });
  });

  it('an unanswered request is denied after the timeout, and answering it late fails', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'guarded', { approval: 'ask' }));
    const response = askToken(booted.app.daemon.socketPath);
    const request = await pendingRequest(booted);
    booted.clock.advance(60_000);
    expect((await response).status).toBe(403);
    expect(await booted.ok('listApprovals')).toEqual([]);
    const late = await booted.call('answerApproval', request.id, 'once');
    expect(late).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });
});

describe('openExternal', () => {
  it('refuses URLs the broker did not build', async () => {
    const booted = await bootApp();
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share']) {
      await expect(booted.app.openExternal(url)).rejects.toMatchObject({ code: 'DENIED' });
    }
    expect(fake.shell.opened).toEqual([]);
    const viaIpc = await booted.call('openVerificationUri', 'nobody');
    expect(viaIpc).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(fake.shell.opened).toEqual([]);
  });

  it('opens the start URL the broker built, and the window may reopen exactly that one', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', {
      name: 'web',
      issuer: server.issuer,
      clientId: server.clients.public.clientId,
      clientAuth: 'none',
      grant: 'authorization_code',
      scopes: ['openid'],
      allowLegacy: false,
      approval: 'auto',
    });
    const signIn = booted.call('signIn', 'web');
    await waitFor(() => fake.shell.opened.length === 1);
    const url = fake.shell.opened[0]!;
    // Only the one-shot start URL leaves the broker; it leads to the authorization URL.
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\/[A-Za-z0-9_-]+$/);
    expect(sentEvents('signInProgress')).toContainEqual({ account: 'web', phase: 'waiting_for_browser', url });

    await booted.ok('openVerificationUri', 'web');
    expect(fake.shell.opened).toEqual([url, url]);

    await booted.ok('cancelSignIn', 'web');
    expect(await signIn).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    // Once the sign-in is over, its URL is no longer offered to the window.
    expect(await booted.call('openVerificationUri', 'web')).toMatchObject({ ok: false });
  });
});

describe('notifications', () => {
  it('notifies once when refreshing fails, not on every failure, and a click opens the window', async () => {
    const booted = await bootApp();
    await booted.ok('addAccount', clientCredentialsDraft(server, 'bad', { clientSecret: 'wrong-secret' }));
    for (let i = 0; i < 3; i += 1) {
      const result = await booted.call('refresh', 'bad');
      expect(result).toMatchObject({ ok: false });
    }
    const relevant = fake.notifications.filter((n) => n.title === 'Refreshing bad failed');
    expect(relevant).toHaveLength(1);
    expect(relevant[0]?.body).not.toContain('wrong-secret');
    fake.windows[0]?.hide();
    relevant[0]?.click();
    expect(fake.windows[0]?.isVisible()).toBe(true);
  });
});
