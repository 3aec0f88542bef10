import { networkInterfaces } from 'node:os';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startLoopbackListener } from '../../../main/core/loopback/index.js';

function nonLoopbackIPv4(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal && !entry.address.startsWith('127.')) return entry.address;
    }
  }
  return undefined;
}

function tryConnect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('loopback listener binding (RFC 8252 §8.3)', () => {
  it('is not reachable on a non-loopback address of this machine', async () => {
    const listener = await startLoopbackListener({ handle: () => 'x' });
    try {
      expect(listener.address.address).toBe('127.0.0.1');
      expect(await tryConnect('127.0.0.1', listener.address.port)).toBe('connected');
      const external = nonLoopbackIPv4();
      if (external !== undefined) {
        expect(await tryConnect(external, listener.address.port)).not.toBe('connected');
      }
      expect(await tryConnect('::1', listener.address.port)).not.toBe('connected');
    } finally {
      await listener.close();
    }
  });

  it('does not bind all interfaces even when the redirect URI says localhost', async () => {
    const listener = await startLoopbackListener({ redirectUri: 'http://localhost/cb', handle: () => 'x' });
    try {
      expect(listener.address.address).toBe('127.0.0.1');
      const external = nonLoopbackIPv4();
      if (external !== undefined) expect(await tryConnect(external, listener.address.port)).not.toBe('connected');
    } finally {
      await listener.close();
    }
  });
});

describe('loopback listener under a flood of idle connections (issue 10 item 3)', () => {
  it('the oldest idle connections make way, so the browser still gets through and the sign-in completes', async () => {
    const listener = await startLoopbackListener({ handle: (params) => params.get('code') });
    const idle = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(listener.address.port, '127.0.0.1');
            socket.on('error', () => {});
            socket.once('connect', () => resolve(socket));
          }),
      ),
    );
    try {
      const origin = `http://127.0.0.1:${listener.address.port}`;
      const start = await fetch(listener.startUrl('https://idp.example/authorize'), { redirect: 'manual' });
      expect(start.status).toBe(302);
      const cookie = start.headers.getSetCookie()[0]?.split(';')[0] ?? '';
      const callback = await fetch(`${origin}/callback?code=ok&state=x`, { headers: { cookie } });
      expect(callback.status).toBe(200);
      await expect(listener.result).resolves.toBe('ok');
      // Most of the flood was closed by the listener rather than kept open.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(idle.filter((socket) => !socket.destroyed && !socket.readableEnded).length).toBeLessThanOrEqual(32);
    } finally {
      for (const socket of idle) socket.destroy();
      await listener.close();
    }
  });
});
