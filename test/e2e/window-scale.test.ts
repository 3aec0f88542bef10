/**
 * The window at scale (issue 15), in real Chromium over the real IPC handlers and broker: a
 * long list renders the rows in view and tells assistive technology the whole list's length,
 * scrolling brings the other rows, and the one-second countdown re-renders only the rows whose
 * text changes. How long it takes is measured by `npm run bench` (bench/window.bench.ts, with
 * performance marks from the same support module), not asserted here.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemTimerClock } from '../../main/ipc/desktop-ports.js';
import { serveDirectory } from '../support/chromium.js';
import { useAuthServer, useChromium } from '../support/fixtures.js';
import { useIpcRig } from '../support/ipc-rig.js';
import { addSignedInAccounts, countTickRenders, prepareContext, timeAccountsView } from './support/window-scale.js';

const ACCOUNTS = 120;
const SHORT_LIVED = 3;
const RENDERER_DIR = join(import.meta.dirname, '..', '..', 'dist', 'renderer');

const auth = useAuthServer();
const rig = useIpcRig({ clock: systemTimerClock, env: { TOKEN_BROKER_PROACTIVE_REFRESH: 'off' } }, 'file');
const browser = useChromium();
let page: Page;
let site: { url: string; close(): Promise<void> };
const pageErrors: string[] = [];

beforeAll(async () => {
  await addSignedInAccounts(
    rig,
    { issuer: auth.issuer, clientId: auth.clients.basic.clientId, clientSecret: auth.clients.basic.clientSecret },
    ACCOUNTS,
    { shortLived: { count: SHORT_LIVED, seconds: 50, setTtl: (seconds) => auth.setAccessTokenTtl(seconds) } },
  );
  site = await serveDirectory(RENDERER_DIR);
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  await prepareContext(context);
  await rig.attach(context);
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${site.url}/`);
  await page.locator(`li[data-account][aria-setsize="${ACCOUNTS}"]`).first().waitFor({ state: 'attached' });
}, 120_000);

afterAll(async () => {
  await page?.context().close();
  await site?.close();
});

describe(`the accounts view with ${ACCOUNTS} accounts`, () => {
  it('renders the rows in view, each saying where it stands in the whole list', async () => {
    const [timing] = await timeAccountsView(page, ACCOUNTS, 1);
    expect(timing?.rowsRendered).toBeGreaterThan(5);
    expect(timing?.rowsRendered).toBeLessThan(ACCOUNTS / 2);
    const first = page.locator('li[data-account]').first();
    expect(await first.getAttribute('data-account')).toBe('acct-000');
    expect(await first.getAttribute('aria-posinset')).toBe('1');
    expect(pageErrors).toEqual([]);
  });

  it('brings the last account into view when scrolled to the end, and the first ones back', async () => {
    const last = `acct-${String(ACCOUNTS - 1).padStart(3, '0')}`;
    expect(await page.locator(`li[data-account="${last}"]`).count()).toBe(0);
    await page.evaluate(() => {
      const main = document.querySelector('main');
      if (main !== null) main.scrollTop = main.scrollHeight;
    });
    const row = page.locator(`li[data-account="${last}"]`);
    await row.waitFor();
    expect(await row.getAttribute('aria-posinset')).toBe(String(ACCOUNTS));
    expect(await row.isVisible()).toBe(true);
    expect(await page.locator('li[data-account="acct-000"]').count()).toBe(0);
    await page.evaluate(() => document.querySelector('main')?.scrollTo(0, 0));
    await page.locator('li[data-account="acct-000"]').waitFor();
  });

  it('re-renders on each tick only the rows whose countdown changes', async () => {
    const ticks = await countTickRenders(page, 3);
    expect(ticks.rowsPerCommit.length).toBeGreaterThanOrEqual(2);
    // The short-lived rows count down in seconds; the others say "expires in 59 min" all along.
    for (const rows of ticks.rowsPerCommit) expect(rows).toBeLessThanOrEqual(SHORT_LIVED);
    expect(Math.max(...ticks.rowsPerCommit)).toBe(SHORT_LIVED);
    expect(ticks.rowsRendered).toBeGreaterThan(SHORT_LIVED);
  });
});
