/**
 * A regenerated TCP key revokes the old one at once (keep-alive connections included), a key file
 * that can no longer be trusted opens nothing, and the key never reaches a log line.
 */
import { chmod, readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { startApiServer, type ApiServer } from '../../../main/core/api/server.js';
import { writeFileAtomic } from '../../../main/core/fs/atomic-write.js';
import type { Logger } from '../../../main/core/ports.js';
import { FakeBroker } from './support/fake-broker.js';
import { call } from './support/http.js';

const temp = useTempDir('tb-apikey-');
let keyFile: string;
let api: ApiServer;
let port: number;
const lines: string[] = [];
const logger: Logger = { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) };

beforeEach(async () => {
  keyFile = join(temp.path, 'api-key');
  lines.length = 0;
  const broker = new FakeBroker();
  broker.add('work', { token: { accessToken: 'at-work', tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000 } });
  api = await startApiServer({ broker, socketPath: join(temp.path, 'broker.sock'), logger, tcp: { port: 0, keyFile } });
  port = api.tcpAddress?.port ?? 0;
});

afterEach(async () => {
  await api.close();
});

const readKey = async (): Promise<string> => (await readFile(keyFile, 'utf8')).trim();
/** What "Regenerate key" does to the file (main/ipc/tcp-key-file.ts): a fresh 0600 key, atomically. */
const regenerate = (): Promise<void> => writeFileAtomic(keyFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });

function get(key: string, agent?: Agent): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/accounts/work/token',
        agent: agent ?? false,
        headers: { Host: `127.0.0.1:${port}`, Authorization: `Bearer ${key}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('regenerating the TCP key', () => {
  it('refuses the old key with 401 from the next request on, on a kept-alive connection too; the new key gets 200', async () => {
    const oldKey = await readKey();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(oldKey, agent)).toEqual({ status: 200, reused: false });
      await regenerate();
      await api.reloadTcpKey();
      const newKey = await readKey();
      expect(newKey).not.toBe(oldKey);
      expect(await get(oldKey, agent)).toEqual({ status: 401, reused: true });
      expect((await get(oldKey)).status).toBe(401);
      expect((await get(newKey)).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('is also picked up by re-applying the same settings (what the daemon does after "Regenerate key")', async () => {
    const oldKey = await readKey();
    await regenerate();
    await api.setTcpListener({ port, keyFile });
    expect(api.tcpAddress?.port).toBe(port);
    expect((await get(oldKey)).status).toBe(401);
    expect((await get(await readKey())).status).toBe(200);
  });

  it('reads the key only when told: the file is not consulted per request', async () => {
    const oldKey = await readKey();
    await regenerate();
    // Not reloaded yet: the listener still holds the key it read.
    expect((await get(oldKey)).status).toBe(200);
    expect((await get(await readKey())).status).toBe(401);
  });

  it('refuses every request when the key file can no longer be trusted (readable by others)', async () => {
    const oldKey = await readKey();
    await regenerate();
    const newKey = await readKey();
    await chmod(keyFile, 0o644);
    await expect(api.reloadTcpKey()).rejects.toMatchObject({ code: 'SOCKET_INSECURE' });
    expect((await get(oldKey)).status).toBe(401);
    expect((await get(newKey)).status).toBe(401);
    // The socket is unaffected.
    expect((await call({ socketPath: api.socketPath }, 'GET', '/v1/health')).status).toBe(200);
    // Fixing the file and reloading opens the listener again.
    await chmod(keyFile, 0o600);
    await api.reloadTcpKey();
    expect((await get(newKey)).status).toBe(200);
  });

  it('never writes a key into a log line', async () => {
    const keys = [await readKey()];
    await regenerate();
    await api.reloadTcpKey();
    keys.push(await readKey());
    await api.setTcpListener(undefined);
    await api.setTcpListener({ port: 0, keyFile });
    expect(lines.length).toBeGreaterThan(2);
    for (const key of keys) expect(lines.join('\n')).not.toContain(key);
  });
});
