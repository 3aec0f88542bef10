/**
 * What the window may never see: token values and client secrets stay in main (docs/security.md:
 * token values never cross to the renderer; "copy token" happens in main), the secret field is emptied
 * once sent, and the page's CSP keeps it from loading or sending anything elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { systemTimerClock } from '../../main/ipc/desktop-ports.js';
import { useAuthServer, useChromium } from '../support/fixtures.js';
import { useIpcRig } from '../support/ipc-rig.js';
import { useRendererPage } from './support/renderer-page.js';

describe('renderer secrecy in Chromium over the real broker', () => {
  const auth = useAuthServer();
  const bridge = useIpcRig({ clock: systemTimerClock, appVersion: '0.1.0-e2e', env: { TOKEN_BROKER_PROACTIVE_REFRESH: 'off' } }, 'file');
  const browser = useChromium();
  const page = useRendererPage({ rig: bridge, browser });

  it('never lets the access token or client secret cross into the page', async () => {
    const secret = auth.clients.basic.clientSecret;
    await page.getByRole('button', { name: 'Add your first account' }).click();
    await page.locator('.preset-card', { hasText: 'OAuth 2.0' }).click();
    await page.getByLabel('Account name').fill('robot');
    await page.getByLabel('Token endpoint').fill(`${auth.issuer}/token`);
    await page.getByLabel(/Authorization endpoint/).fill(`${auth.issuer}/auth`);
    await page.getByLabel('Client ID').fill(auth.clients.basic.clientId);
    await page.getByLabel('Client secret').fill(secret);
    await page.getByLabel('Grant').selectOption('client_credentials');
    await page.getByRole('form').getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('heading', { level: 1, name: 'robot' }).waitFor();

    await page.getByRole('button', { name: 'Refresh now' }).click();
    await page.locator('.detail-title__status [data-status="ok"]').waitFor();
    await page.getByRole('button', { name: 'Copy access token' }).click();
    await page.getByText(/Copied — clipboard clears in/).waitFor();
    const token = bridge.clipboard.text;
    expect(token.length).toBeGreaterThan(10);
    expect((await auth.introspect(token)).active).toBe(true);

    // The secret went renderer → main exactly once (the addAccount draft) and never came back.
    const sent = bridge.calls.filter((call) => JSON.stringify(call.args).includes(secret));
    expect(sent.map((call) => call.channel)).toEqual(['addAccount']);
    const returned = JSON.stringify([bridge.calls.map((call) => call.result), bridge.events]);
    expect(returned).not.toContain(secret);
    expect(returned).not.toContain(token);
    const html = await page.content();
    expect(html).not.toContain(secret);
    expect(html).not.toContain(token);
  });

  it('keeps the page from reaching the network or running injected inline script (CSP)', async () => {
    const fetched = await page.evaluate(async (url) => {
      try {
        await fetch(url);
        return 'fetched';
      } catch {
        return 'blocked';
      }
    }, `${auth.issuer}/.well-known/openid-configuration`);
    expect(fetched).toBe('blocked');
    const ranInline = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.append(script);
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ranInline).toBe(false);
  });
});
