/** Raw HTTP helpers for the API tests: node:http over a Unix socket or TCP, and raw sockets. */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export interface Target {
  socketPath?: string;
  host?: string;
  port?: number;
}

export function call(
  target: Target,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { ...target, method, path, agent: false, headers: { Host: 'broker', ...options.headers }, setHost: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Opens a raw connection (Unix socket path or TCP port). */
export function rawConnect(target: string | number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = typeof target === 'string' ? connect(target) : connect(target, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Collects everything the server sends until it closes the connection (or `timeoutMs`). */
export function readUntilClose(socket: Socket, timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve({ text, closed: false }), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

/**
 * Sends `head`, then `total` bytes of `fill` in 64 KiB pieces, stopping as soon as the server
 * answers or closes: like a client that reads while it writes, so a server that answers early
 * (413, 431) is seen answering rather than as a broken pipe.
 */
export async function sendLarge(
  socket: Socket,
  head: string,
  total: number,
  fill = 0x61,
  piece: Buffer = Buffer.alloc(64 * 1024, fill),
): Promise<{ text: string; closed: boolean }> {
  const answer = readUntilClose(socket, 10_000);
  let answered = false;
  socket.once('data', () => (answered = true));
  socket.once('close', () => (answered = true));
  await new Promise<void>((resolve) => socket.write(head, () => resolve()));
  // Like a client sending `Expect: 100-continue`: give the server a moment to refuse on the head alone.
  for (let waited = 0; waited < 200 && !answered; waited += 20) await new Promise((r) => setTimeout(r, 20));
  for (let sent = 0; sent < total && !answered && socket.writable; sent += piece.length) {
    await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
  }
  return answer;
}
