/**
 * The built renderer (dist/renderer) in a Chromium page whose `window.broker` is the IPC rig
 * (test/support/ipc-rig.ts), loaded and showing its first screen: one page for the whole file,
 * as a developer's session is one window.
 */
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { TimerClock } from '../../../main/ipc/desktop-ports.js';
import { serveDirectory } from '../../support/chromium.js';
import { useFixture } from '../../support/fixtures.js';
import type { IpcRig } from '../../support/ipc-rig.js';

const RENDERER_DIR = join(import.meta.dirname, '..', '..', '..', 'dist', 'renderer');

export function useRendererPage(options: {
  rig: IpcRig<TimerClock>;
  browser: Browser;
  context?: BrowserContextOptions;
  /** Runs before the app loads, e.g. to collect page errors. */
  onPage?: (page: Page) => void;
}): Page {
  let site: { url: string; close(): Promise<void> } | undefined;
  return useFixture<Page>({
    name: 'useRendererPage()',
    scope: 'file',
    async setup() {
      site = await serveDirectory(RENDERER_DIR);
      const context = await options.browser.newContext(options.context);
      await options.rig.attach(context);
      const page = await context.newPage();
      // Fail with the locator that did not appear rather than the test's own 30 s timeout.
      page.setDefaultTimeout(10_000);
      options.onPage?.(page);
      await page.goto(`${site.url}/`);
      await page.getByRole('heading', { name: 'No accounts yet' }).waitFor();
      return page;
    },
    async teardown(page) {
      await page.context().close();
      await site?.close();
    },
  });
}
