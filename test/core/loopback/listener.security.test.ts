import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
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
