/**
 * The TCP listener follows the settings while the API server runs: it starts, stops and re-binds
 * on real 127.0.0.1 ports without a restart, and the Unix socket keeps serving throughout.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { startApiServer, type ApiServer } from '../../../main/core/api/server.js';
import { FakeBroker } from './support/fake-broker.js';
import { call, rawConnect, readUntilClose } from './support/http.js';

const temp = useTempDir('tb-apitcp-');
let keyFile: string;
let broker: FakeBroker;
let api: ApiServer;

beforeEach(async () => {
  keyFile = join(temp.path, 'api-key');
  broker = new FakeBroker();
  broker.add('work', { token: { accessToken: 'at-work', tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000 } });
  api = await startApiServer({ broker, socketPath: join(temp.path, 'broker.sock') });
});

afterEach(async () => {
  await api.close();
});

const readKey = async (): Promise<string> => (await readFile(keyFile, 'utf8')).trim();

/** A token request over TCP as a script would send it. */
function tcpToken(port: number, key: string): ReturnType<typeof call> {
  return call({ host: '127.0.0.1', port }, 'GET', '/v1/accounts/work/token', {
    headers: { Host: `127.0.0.1:${port}`, Authorization: `Bearer ${key}` },
  });
}

/** Holds a port on 127.0.0.1 so the listener cannot have it. */
function occupyPort(): Promise<NetServer> {
  return new Promise((resolve) => {
    const server = createNetServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** A port that was free a moment ago (the OS hands out a different one next time). */
async function freePort(): Promise<number> {
  const server = await occupyPort();
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('TCP listener at runtime', () => {
  it('starts on 127.0.0.1 when enabled, and a bearer request gets its token', async () => {
    expect(api.tcpAddress).toBeUndefined();
    await api.setTcpListener({ port: 0, keyFile });
    expect(api.tcpAddress).toEqual({ host: '127.0.0.1', port: expect.any(Number) });
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const port = api.tcpAddress?.port ?? 0;
    const res = await tcpToken(port, await readKey());
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ access_token: 'at-work' });
  });

  it('stops when disabled: the port refuses connections while the Unix socket keeps serving, open connections too', async () => {
    await api.setTcpListener({ port: 0, keyFile });
    const port = api.tcpAddress?.port ?? 0;
    const key = await readKey();
    expect((await tcpToken(port, key)).status).toBe(200);
    // A client connected to the socket before the change, sending its request after it.
    const early = await rawConnect(api.socketPath);

    await api.setTcpListener(undefined);

    expect(api.tcpAddress).toBeUndefined();
    await expect(tcpToken(port, key)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await call({ socketPath: api.socketPath }, 'GET', '/v1/health')).status).toBe(200);
    const answer = readUntilClose(early);
    early.write('GET /v1/health HTTP/1.1\r\nHost: broker\r\nConnection: close\r\n\r\n');
    expect((await answer).text).toMatch(/^HTTP\/1\.1 200 /);
    // Stopping twice is fine.
    await api.setTcpListener(undefined);
  });

  it('re-binds to another port: the old one refuses, the new one serves with its own Host', async () => {
    await api.setTcpListener({ port: 0, keyFile });
    const oldPort = api.tcpAddress?.port ?? 0;
    const key = await readKey();
    const newPort = await freePort();

    await api.setTcpListener({ port: newPort, keyFile });

    expect(api.tcpAddress).toEqual({ host: '127.0.0.1', port: newPort });
    expect((await tcpToken(newPort, key)).status).toBe(200);
    await expect(tcpToken(oldPort, key)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // The DNS-rebinding check follows the port: the old Host is no longer ours.
    const staleHost = await call({ host: '127.0.0.1', port: newPort }, 'GET', '/v1/health', {
      headers: { Host: `127.0.0.1:${oldPort}`, Authorization: `Bearer ${key}` },
    });
    expect(staleHost.status).toBe(403);
    expect((await call({ socketPath: api.socketPath }, 'GET', '/v1/health')).status).toBe(200);
  });

  it('keeps the running port when the setting says 0 (any free port)', async () => {
    await api.setTcpListener({ port: 0, keyFile });
    const port = api.tcpAddress?.port;
    await api.setTcpListener({ port: 0, keyFile });
    expect(api.tcpAddress?.port).toBe(port);
  });

  it('leaves the old listener serving when the new port is taken, and says so', async () => {
    await api.setTcpListener({ port: 0, keyFile });
    const port = api.tcpAddress?.port ?? 0;
    const taken = await occupyPort();
    const takenPort = (taken.address() as AddressInfo).port;
    try {
      const failure = api.setTcpListener({ port: takenPort, keyFile });
      await expect(failure).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(failure).rejects.toThrow(`Port ${takenPort} on 127.0.0.1 is in use by another program`);
      expect(api.tcpAddress?.port).toBe(port);
      expect((await tcpToken(port, await readKey())).status).toBe(200);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('starts a listener that failed before once the port is free (no restart)', async () => {
    const taken = await occupyPort();
    const port = (taken.address() as AddressInfo).port;
    await expect(api.setTcpListener({ port, keyFile })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(api.tcpAddress).toBeUndefined();
    await new Promise((resolve) => taken.close(resolve));
    await api.setTcpListener({ port, keyFile });
    expect((await tcpToken(port, await readKey())).status).toBe(200);
  });

  it('applies concurrent changes in order', async () => {
    const port = await freePort();
    await Promise.all([api.setTcpListener({ port: 0, keyFile }), api.setTcpListener(undefined), api.setTcpListener({ port, keyFile })]);
    expect(api.tcpAddress).toEqual({ host: '127.0.0.1', port });
  });

  it('closes the TCP listener with the server, and refuses to start one afterwards', async () => {
    await api.setTcpListener({ port: 0, keyFile });
    const port = api.tcpAddress?.port ?? 0;
    const key = await readKey();
    await api.close();
    await expect(tcpToken(port, key)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(api.setTcpListener({ port: 0, keyFile })).rejects.toMatchObject({ code: 'BROKER_NOT_RUNNING' });
    expect(api.tcpAddress).toBeUndefined();
  });
});
