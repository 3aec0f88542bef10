/**
 * The interactive grants driven by a real headless Chromium through the real loopback listener:
 * the code flow (login form typed and submitted) and the legacy implicit grant (the loopback
 * page's nonce'd script posts the fragment back).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../../support/chromium.js';
import { useAuthServer, useChromium } from '../../support/fixtures.js';
import { completeLoginInChromium } from '../../support/login.js';
import { authorizationCodeGrant, createHttpClient, implicitGrant, type HttpClient } from '../../../main/core/oauth/index.js';
import { clientAuthFor, useProviderMetadata } from './helpers/fixture.js';
import { rejectionOf } from './helpers/http-util.js';

const server = useAuthServer();
const http: HttpClient = createHttpClient({ env: {} });
const metadata = useProviderMetadata(server, http);
const browser = useChromium();

async function withPage<T>(run: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.newPage();
  try {
    return await run(page);
  } finally {
    await page.close();
  }
}

describe('in real Chromium', () => {
  it('completes the code flow through the loopback listener and shows the success page', async () => {
    await withPage(async (page) => {
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      const tokens = await authorizationCodeGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'public'),
        scope: 'openid offline_access api:read',
        openBrowser: (url) => completeLoginInChromium(page, url),
      });
      expect((await server.introspect(tokens.accessToken)).active).toBe(true);
      expect(tokens.idToken).toBeDefined();
      expect(new URL(page.url()).hostname).toBe('127.0.0.1');
      await expect(page.locator('h1').innerText()).resolves.toBe('Signed in');
      // The inline style is allowed by its nonce: the heading is coloured, not default black.
      const color = await page.locator('h1').evaluate((el) => getComputedStyle(el).color);
      expect(color).toBe('rgb(23, 128, 61)');
      expect(violations).toEqual([]);
      await screenshot(page, 'oauth-loopback-success');
    });
  });

  it('runs the legacy implicit grant: the page posts the fragment back and removes it from the address bar', async () => {
    await withPage(async (page) => {
      const tokens = await implicitGrant({
        // The implicit route is the fixture's own (oidc-provider has no plain `token` response)
        // and sends no RFC 9207 `iss`, so it is described as a provider that does not promise one.
        metadata: {
          ...metadata,
          authorizationEndpoint: `${server.issuer}/implicit/authorize`,
          authorizationResponseIssParameterSupported: false,
        },
        client: clientAuthFor(server, 'public'),
        scope: 'api:read',
        allowLegacy: true,
        openBrowser: async (url) => {
          await page.goto(url);
        },
      });
      expect(tokens.tokenType.toLowerCase()).toBe('bearer');
      expect(tokens.expiresAt).toBeGreaterThan(Date.now());
      expect((await server.introspect(tokens.accessToken)).active).toBe(true);
      await page.waitForFunction(() => document.getElementById('title')?.textContent === 'Signed in');
      expect(new URL(page.url()).hash).toBe('');
    });
  });

  it('refuses the implicit grant without the opt-in, before opening anything', async () => {
    let opened = false;
    const error = await rejectionOf(
      implicitGrant({
        metadata,
        client: clientAuthFor(server, 'public'),
        allowLegacy: false,
        openBrowser: async () => {
          opened = true;
        },
      }),
    );
    expect(error.code).toBe('LEGACY_GRANT_REFUSED');
    expect(opened).toBe(false);
  });
});
