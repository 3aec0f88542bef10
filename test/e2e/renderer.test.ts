/**
 * The built renderer in real headless Chromium, bridged to the real IPC handlers over a real
 * broker daemon (keychain vault, token API socket) and the oidc-provider fixture. One page walks
 * through a developer's first session; screenshots of every main view land in test-results/ in
 * light and dark.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { systemTimerClock } from '../../main/ipc/desktop-ports.js';
import { screenshot } from '../support/chromium.js';
import { useAuthServer, useChromium } from '../support/fixtures.js';
import { approveDeviceCode, completeLoginInChromium } from '../support/login.js';
import { useIpcRig } from '../support/ipc-rig.js';
import { useRendererPage } from './support/renderer-page.js';

const pageErrors: string[] = [];
const auth = useAuthServer({ deviceInterval: 1 });
const bridge = useIpcRig({ clock: systemTimerClock, appVersion: '0.1.0-e2e', env: { TOKEN_BROKER_PROACTIVE_REFRESH: 'off' } }, 'file');
const browser = useChromium();
const page = useRendererPage({
  rig: bridge,
  browser,
  context: { viewport: { width: 1200, height: 800 }, colorScheme: 'light' },
  onPage(opened) {
    opened.on('pageerror', (error) => pageErrors.push(error.message));
    opened.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  },
});

/**
 * Saves the current view in both color schemes. The window scrolls inside <main>, so the viewport
 * grows to the content's height for the shot; the pause lets color transitions finish.
 */
async function shoot(name: string): Promise<void> {
  const viewport = page.viewportSize() ?? { width: 1200, height: 800 };
  const height = await page.evaluate(() => document.querySelector('main')?.scrollHeight ?? 0);
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, Math.min(height, 2400)) });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(300);
    await screenshot(page, `${name}-${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(viewport);
}

async function openAddAccount(presetLabel: string): Promise<void> {
  await page.getByRole('button', { name: 'Add account' }).first().click();
  await page.getByRole('heading', { level: 1, name: 'Add account' }).waitFor();
  await page.locator('.preset-card', { hasText: presetLabel }).click();
}

async function submitForm(): Promise<void> {
  await page.getByRole('form').getByRole('button', { name: 'Add account' }).click();
}

function statusOf(name: string) {
  return page.locator(`li[data-account="${name}"]`);
}

async function goTo(section: 'Accounts' | 'Activity' | 'Settings'): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: new RegExp(`^${section}`) })
    .click();
  await page.getByRole('heading', { level: 1, name: section }).waitFor();
}

/** GET a token over the broker's Unix socket the way a script would. */
function requestToken(account: string, client: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: bridge.daemon.socketPath,
        path: `/v1/accounts/${encodeURIComponent(account)}/token`,
        headers: { host: 'broker', 'x-token-broker-client': client },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('renderer in Chromium over the real broker', () => {
  it('starts empty and offers to add the first account', async () => {
    expect(await page.getByRole('button', { name: 'Add your first account' }).isVisible()).toBe(true);
    await shoot('empty-accounts');
  });

  it('adds a client-credentials account that turns ok with a countdown', async () => {
    await openAddAccount('OpenID Connect');
    await page.getByLabel('Account name').fill('ci-robot');
    await page.getByLabel('Issuer URL').fill(auth.issuer);
    await page.getByRole('button', { name: 'Check discovery' }).click();
    await page.getByText('Discovery found').waitFor();
    expect(await page.locator('.discovery').textContent()).toContain(`${auth.issuer}/token`);
    await page.getByLabel('Client ID').fill(auth.clients.basic.clientId);
    await page.getByLabel('Client authentication').selectOption('basic');
    await page.getByLabel('Client secret').fill(auth.clients.basic.clientSecret);
    await page.getByLabel('Grant').selectOption('client_credentials');
    await page.getByLabel(/Scopes/).fill('api:read api:write');
    await page.getByText('Ask me').click();
    await shoot('add-account');
    await submitForm();

    await page.getByRole('heading', { level: 1, name: 'ci-robot' }).waitFor();
    // A client-credentials account without a token yet is already ok (it fetches on demand);
    // Refresh now fetches one, and the countdown appears.
    await page.locator('.detail-title__status [data-status="ok"]').waitFor();
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await page.locator('.detail-title__status', { hasText: /expires in/ }).waitFor();
    expect(await page.locator('.detail-title__status').textContent()).toMatch(/expires in (59|60) min|expires in 1 h/);
    expect(pageErrors).toEqual([]);
  });

  it('asks for approval when a script wants a token for an approval account', async () => {
    const pending = requestToken('ci-robot', 'deploy.sh');
    const dialog = page.getByRole('alertdialog', { name: /Allow deploy\.sh to get a token for ci-robot\?/ });
    await dialog.waitFor();
    expect(await dialog.getByTestId('approval-countdown').textContent()).toMatch(/Denied automatically in/);
    await shoot('approval-dialog');
    await dialog.getByRole('button', { name: 'Allow once' }).click();
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ token_type: expect.stringMatching(/bearer/i) });
    expect(await dialog.count()).toBe(0);
  });

  it('shows token details and copies the token in main', async () => {
    await page.getByRole('button', { name: 'Copy access token' }).click();
    await page.getByText(/Copied — clipboard clears in 30 s/).waitFor();
    expect(bridge.clipboard.text.length).toBeGreaterThan(10);
    // The token itself never reaches the page.
    expect(await page.content()).not.toContain(bridge.clipboard.text);
    const token = page.getByRole('region', { name: 'Token' });
    await token.getByText('Bearer').waitFor();
    await page.getByRole('region', { name: 'Activity' }).getByText('deploy.sh').waitFor();
    await shoot('account-detail-client-credentials');
  });

  it('signs in with the authorization code flow in a second Chromium page', async () => {
    await openAddAccount('OpenID Connect');
    await page.getByLabel('Account name').fill('alice-web');
    await page.getByLabel('Issuer URL').fill(auth.issuer);
    await page.getByLabel('Client ID').fill(auth.clients.public.clientId);
    await page.getByLabel('Client authentication').selectOption('none');
    await page.getByLabel(/Scopes/).fill('openid profile email offline_access');
    await submitForm();
    await page.getByRole('heading', { level: 1, name: 'alice-web' }).waitFor();

    await page.getByRole('toolbar', { name: 'Account actions' }).getByRole('button', { name: 'Sign in' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign in to alice-web' });
    await dialog.getByText('Waiting for your browser…').waitFor();
    const first = await bridge.waitForProgress('alice-web', 'waiting_for_browser');
    // The broker opened the system browser itself, on the sign-in's one-shot start URL.
    expect(bridge.opened).toContain(first.url);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\//);
    // The start URL works once, so "no page?" starts a new sign-in with a new one.
    await dialog.getByRole('button', { name: 'Start the sign-in again' }).click();
    await expect.poll(() => bridge.opened.length).toBe(2);
    const url = bridge.opened[1] as string;
    expect(url).not.toBe(first.url);
    const loginPage = await browser.newPage();
    try {
      await completeLoginInChromium(loginPage, url);
    } finally {
      await loginPage.close();
    }
    // Who signed in is said in the window too.
    await dialog.getByText('Signed in to alice-web as alice (alice@example.test)').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.locator('.detail-title__status [data-status="ok"]').waitFor();
    await page.getByRole('region', { name: 'ID token claims' }).getByText('sub', { exact: true }).waitFor();
    await page.getByRole('region', { name: 'Token' }).getByText('Refresh token').waitFor();
    await shoot('account-detail');
  });

  it('shows the device flow code and finishes when it is approved', async () => {
    await openAddAccount('OpenID Connect');
    await page.getByLabel('Account name').fill('alice-cli');
    await page.getByLabel('Issuer URL').fill(auth.issuer);
    await page.getByLabel('Client ID').fill(auth.clients.public.clientId);
    await page.getByLabel('Client authentication').selectOption('none');
    await page.getByLabel('Grant').selectOption('device_code');
    await page.getByLabel(/Scopes/).fill('openid offline_access api:read');
    await submitForm();
    await page.getByRole('heading', { level: 1, name: 'alice-cli' }).waitFor();

    await page.getByRole('toolbar', { name: 'Account actions' }).getByRole('button', { name: 'Sign in' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign in to alice-cli' });
    const code = dialog.getByTestId('user-code');
    await code.waitFor();
    const userCode = (await code.textContent()) ?? '';
    expect(userCode).toMatch(/\w{4}/);
    await dialog.getByRole('button', { name: 'Open verification page' }).click();
    await shoot('sign-in-device-code');
    expect(bridge.opened.some((u) => u.startsWith(auth.issuer))).toBe(true);
    await approveDeviceCode(auth, userCode);
    await dialog.getByText('Signed in to alice-cli').waitFor({ timeout: 20_000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.locator('.detail-title__status [data-status="ok"]').waitFor();
  });

  it('shows an account whose refresh token the provider rejects as needing sign-in', async () => {
    // What an expired or revoked refresh token gets from the token endpoint (RFC 6749 §5.2).
    auth.injectTokenResponse({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'grant request is invalid' },
      grantType: 'refresh_token',
    });
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await page.locator('.detail-title__status [data-status="needs_login"]').waitFor();
    await goTo('Accounts');
    expect(await statusOf('alice-cli').getAttribute('data-status')).toBe('needs_login');
    expect(await statusOf('alice-cli').getByRole('button', { name: 'Sign in to alice-cli' }).isVisible()).toBe(true);
    expect(await statusOf('ci-robot').getAttribute('data-status')).toBe('ok');
    await shoot('accounts');
  });

  it('lists the activity, filterable by client', async () => {
    await goTo('Activity');
    await page.getByRole('table').getByText('deploy.sh').waitFor();
    await page.getByLabel('Client').selectOption('deploy.sh');
    expect(await page.getByRole('table').getByRole('row').count()).toBe(2);
    await page.getByLabel('Client').selectOption('');
    await shoot('activity');
  });

  it('shows the socket path and snippets in settings', async () => {
    await goTo('Settings');
    expect(await page.getByTestId('socket-path').textContent()).toBe(bridge.daemon.socketPath);
    expect(await page.getByLabel('curl snippet').textContent()).toContain(`--unix-socket ${bridge.daemon.socketPath}`);
    await page.getByRole('switch', { name: 'Listen on 127.0.0.1' }).click();
    await page.getByTestId('tcp-state').waitFor();
    expect(await page.getByRole('switch', { name: 'Listen on 127.0.0.1' }).isChecked()).toBe(true);
    // Live: the broker is listening before the page says so, no restart.
    expect(await page.getByTestId('tcp-state').textContent()).toBe(`Listening on 127.0.0.1:${bridge.daemon.api.tcpAddress?.port}`);
    await page.getByRole('switch', { name: 'Listen on 127.0.0.1' }).click();
    await page.getByTestId('tcp-state').waitFor({ state: 'detached' });
    expect(bridge.daemon.api.tcpAddress).toBeUndefined();
    await shoot('settings');
  });

  it('removes an account after confirmation', async () => {
    await goTo('Accounts');
    await page.getByRole('button', { name: 'alice-web', exact: true }).click();
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('alertdialog', { name: 'Remove alice-web?' }).getByRole('button', { name: 'Remove account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    expect(await page.locator('li[data-account="alice-web"]').count()).toBe(0);
    const listed = await bridge.call('listAccounts');
    expect(listed.ok && listed.value.map((a) => a.name).sort()).toEqual(['alice-cli', 'ci-robot']);
    expect(pageErrors).toEqual([]);
  });

  it('adds a Google account whose provider main builds, and edits its extra parameters without losing the rest', async () => {
    await goTo('Accounts');
    await openAddAccount('Google');
    await page.getByText('Google endpoints are built in.').waitFor();
    const extra = page.getByLabel(/Extra authorization parameters/);
    expect(await extra.inputValue()).toBe('access_type=offline\nprompt=consent');
    await page.getByLabel('Account name').fill('google-work');
    await page.getByLabel('Client ID').fill('1234.apps.googleusercontent.com');
    await page.getByLabel('Client secret').fill('GOCSPX-not-a-real-secret');
    await page.getByLabel(/Git hosts/).fill('source.developers.google.com');
    await shoot('add-account-google');
    await submitForm();
    await page.getByRole('heading', { level: 1, name: 'google-work' }).waitFor();
    const stored = () => bridge.daemon.configStore.get().accounts.find((a) => a.name === 'google-work');
    expect(stored()?.provider).toEqual({
      issuer: 'https://accounts.google.com',
      extraParams: { access_type: 'offline', prompt: 'consent' },
    });

    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit google-work' }).waitFor();
    expect(await page.getByLabel(/Extra authorization parameters/).inputValue()).toBe('access_type=offline\nprompt=consent');
    expect(await page.getByLabel(/Git hosts/).inputValue()).toBe('source.developers.google.com');
    await page.getByLabel(/Extra authorization parameters/).fill('access_type=offline\nscope=all');
    await page.getByText(/Line 2: “scope” is set by the broker itself/).waitFor();
    await page.getByLabel(/Extra authorization parameters/).fill('access_type=offline');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'google-work' }).waitFor();
    expect(stored()).toMatchObject({
      provider: { issuer: 'https://accounts.google.com', extraParams: { access_type: 'offline' } },
      git: { hosts: ['source.developers.google.com'], username: 'oauth2' },
    });
    expect(await bridge.call('removeAccount', 'google-work')).toEqual({ ok: true, value: null });
    expect(pageErrors).toEqual([]);
  });
});
