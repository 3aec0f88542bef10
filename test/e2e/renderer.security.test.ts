/**
 * What the window may never see: token values and client secrets stay in main (DESIGN.md: token
 * values never reach the renderer; "copy token" happens in main), the secret field is emptied
 * once sent, and the page's CSP keeps it from loading or sending anything elsewhere.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../support/auth-server.js';
import { launchChromium, serveDirectory } from '../support/chromium.js';
import { startBrokerBridge, type BrokerBridge } from './support/bridge.js';

const RENDERER_DIR = join(import.meta.dirname, '..', '..', 'dist', 'renderer');

describe('renderer secrecy in Chromium over the real broker', () => {
  let auth: AuthServer;
  let bridge: BrokerBridge;
  let browser: Browser;
  let site: { url: string; close(): Promise<void> };
  let page: Page;

  beforeAll(async () => {
    auth = await startAuthServer();
    bridge = await startBrokerBridge();
    browser = await launchChromium();
    site = await serveDirectory(RENDERER_DIR);
    const context = await browser.newContext();
    await bridge.attach(context);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${site.url}/`);
    await page.getByRole('heading', { name: 'No accounts yet' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await bridge?.close();
    await auth?.close();
  });

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
