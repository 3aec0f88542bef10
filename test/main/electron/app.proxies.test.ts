/**
 * The app runs the authenticating proxies declared in config.json, as `serve` does: a tool that
 * knows nothing of OAuth reaches a DPoP-checking API through the proxy's Unix socket, and the
 * window's activity table shows the proxied request (method, host, status).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/electron-fake.js'));

import { useAuthServer, useFixture } from '../../support/fixtures.js';
import { startResourceServer } from '../../support/resource-server.js';
import { clientCredentialsDraft, useBootedApps } from '../support/app-harness.js';

const server = useAuthServer({ dpop: true });
const api = useFixture({
  name: 'resource server',
  scope: 'file',
  setup: () => startResourceServer({ introspect: (token) => server.introspect(token) }),
  teardown: (resource) => resource.close(),
});
const bootApp = useBootedApps();

function getOverSocket(socketPath: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ socketPath, path, method: 'GET', headers: { host: 'localhost', authorization: 'Bearer ignored' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxies in config.json', () => {
  it('are started by the app and forward with the account’s DPoP-bound token', async () => {
    const first = await bootApp();
    await first.ok('addAccount', clientCredentialsDraft(server, 'api'));
    await first.stop();

    const dir = await mkdtemp(join(tmpdir(), 'tb-app-proxy-'));
    try {
      const socket = join(dir, 'api.sock');
      const configFile = join(first.home, 'config.json');
      const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
      await writeFile(configFile, JSON.stringify({ ...config, proxies: [{ account: 'api', upstream: `${api.url}/echo`, socket }] }));

      const booted = await bootApp({}, { home: first.home });
      expect(booted.app.daemon.proxies.map((proxy) => proxy.url)).toEqual([socket]);
      const answer = await getOverSocket(socket, '/from-the-app');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ path: '/echo/from-the-app', auth: { scheme: 'dpop' } });

      // The proxy reports a request when the client has the whole answer (its 'close'): ask until it is there.
      const wanted = (entry: { kind?: string }) => entry.kind === 'proxy';
      let audit = await booted.ok('auditLog');
      for (let tries = 0; !audit.some(wanted) && tries < 50; tries += 1) {
        await new Promise((resolveLater) => setTimeout(resolveLater, 20));
        audit = await booted.ok('auditLog');
      }
      expect(audit).toContainEqual(
        expect.objectContaining({ account: 'api', kind: 'proxy', method: 'GET', host: new URL(api.url).host, status: 200 }),
      );
      await booted.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
