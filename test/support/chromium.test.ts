import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useChromium } from './fixtures.js';
import { screenshot, serveDirectory, TEST_RESULTS_DIR } from './chromium.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const builtRenderer = join(repoRoot, 'dist', 'renderer');

/**
 * A copy of the built renderer, so a concurrent `node scripts/build.mjs` (which empties dist/)
 * cannot pull files from under the test.
 */
async function builtRendererCopy(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'token-broker-renderer-'));
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (!existsSync(join(builtRenderer, 'index.html'))) {
      await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot });
    }
    try {
      await cp(builtRenderer, copy, { recursive: true });
      if (existsSync(join(copy, 'index.html'))) return copy;
    } catch {
      // dist/ was being rebuilt by someone else; build (or wait for) a complete one and copy again.
    }
  }
  throw new Error('could not obtain a built renderer in dist/renderer');
}

/** A raw GET, so paths like /%2e%2e/ reach the server without client-side normalisation. */
function rawGet(url: string, path: string): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(`${url}${path}`, { method: 'GET' }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Chromium support (test/support/chromium.ts)', () => {
  const browser = useChromium();
  let site: { url: string; close(): Promise<void> };
  let rendererDir: string;
  let appVersion: string;

  beforeAll(async () => {
    appVersion = (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    rendererDir = await builtRendererCopy();
    site = await serveDirectory(rendererDir);
  });

  afterAll(async () => {
    await site?.close();
    if (rendererDir) await rm(rendererDir, { recursive: true, force: true });
  });

  it('serves the directory on 127.0.0.1 with content types, and nothing outside it', async () => {
    expect(site.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const index = await fetch(`${site.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<div id="root">');
    const script = await fetch(`${site.url}/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    await script.arrayBuffer();
    expect((await fetch(`${site.url}/missing.js`)).status).toBe(404);
    expect(await rawGet(site.url, '/%2e%2e/%2e%2e/etc/passwd')).toBe(404);
    expect(await rawGet(site.url, '/../package.json')).toBe(404);
    expect((await fetch(`${site.url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('renders the built renderer with a stub window.broker and screenshots the version', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      // Runs before the page's scripts and is exempt from its CSP (script-src 'self').
      await page.addInitScript((version: string) => {
        const ok = (value: unknown) => Promise.resolve({ ok: true, value });
        const lists = new Set(['listAccounts', 'listPresets', 'listApprovals', 'auditLog']);
        const api = new Proxy(
          {},
          {
            get(_target, property) {
              if (property === 'on') return () => () => undefined;
              if (property === 'version') return () => ok({ app: version });
              if (property === 'getSettings') {
                return () =>
                  ok({
                    socketPath: '/run/user/1000/token-broker/broker.sock',
                    tcpListener: { enabled: false, port: 0 },
                    startAtLogin: false,
                  });
              }
              if (typeof property === 'string' && lists.has(property)) return () => ok([]);
              return () => Promise.resolve({ ok: false, error: { code: 'NOT_AVAILABLE', message: 'stub broker' } });
            },
          },
        );
        Object.defineProperty(window, 'broker', { value: api, writable: false });
      }, appVersion);

      await page.goto(`${site.url}/`);
      // The renderer has shown "Version 0.1.0" and, since the sidebar landed, "v0.1.0".
      const shown = new RegExp(`(Version |\\bv)${appVersion.replace(/\./g, '\\.')}(?![\\d.])`);
      await page.getByText(shown).first().waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.locator('body').innerText()).toMatch(shown);

      const file = await screenshot(page, 'renderer-version');
      expect(file).toBe(join(TEST_RESULTS_DIR, 'renderer-version.png'));
      expect((await stat(file)).size).toBeGreaterThan(1000);
      expect((await readFile(file)).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('refuses screenshot names that would escape test-results/', async () => {
    const page = await browser.newPage();
    try {
      await expect(screenshot(page, '../outside')).rejects.toThrow(/plain file name/);
    } finally {
      await page.close();
    }
  });
});
