/**
 * A throwaway loopback redirect target for tests that drive the fixture authorization server
 * directly (without the broker's own loopback module): it records every request it receives.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CallbackListener {
  /** `http://127.0.0.1:PORT<path>`. */
  redirectUri(path?: string): string;
  /** Resolves with the first callback request's full URL (never includes a fragment). */
  nextCallback(): Promise<URL>;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 with an OS-assigned port and answers every request with a short page
 * (except /favicon.ico, which browsers fetch on their own and which is not recorded).
 */
export async function startCallbackListener(host: '127.0.0.1' | 'localhost' = '127.0.0.1'): Promise<CallbackListener> {
  const received: URL[] = [];
  const waiters: ((url: URL) => void)[] = [];
  let origin = '';
  let closing: Promise<void> | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    // Browsers ask every origin for its icon after loading the callback page; that is no callback.
    if (url.pathname === '/favicon.ico') {
      res.writeHead(404, { connection: 'close' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
    res.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
    const waiter = waiters.shift();
    if (waiter) waiter(url);
    else received.push(url);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    redirectUri: (path = '/callback') => `${origin}${path}`,
    nextCallback() {
      const ready = received.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
