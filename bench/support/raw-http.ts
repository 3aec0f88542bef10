/**
 * A lean HTTP/1.1 load client over a Unix socket: pre-serialized requests and a minimal
 * response parser, so the measurement is the broker, not node:http's client machinery.
 */
import { connect, type Socket } from 'node:net';

export function getRequest(path: string, keepAlive: boolean): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: broker\r\nX-Token-Broker-Client: bench\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`,
  );
}

/** Byte length of a complete response at the start of `buf`, or -1 when more is needed. */
function responseLength(buf: Buffer): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return -1;
  const head = buf.subarray(0, end).toString('latin1');
  const match = /\r\ncontent-length: *(\d+)/i.exec(head);
  const bodyLength = match === null ? 0 : Number(match[1]);
  const total = end + 4 + bodyLength;
  return buf.length >= total ? total : -1;
}

function statusOf(buf: Buffer): number {
  return Number(buf.subarray(9, 12).toString('latin1'));
}

/** One request on a new connection (Connection: close); resolves with the status. */
export function requestOnce(socketPath: string, request: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buf: Buffer = Buffer.alloc(0);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (responseLength(buf) !== -1) {
        socket.destroy();
        resolve(statusOf(buf));
      }
    });
    socket.on('error', reject);
  });
}

/** A keep-alive connection sending one request at a time. */
export class KeepAliveClient {
  private socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private pending: ((status: number) => void) | undefined;
  private failed: ((error: Error) => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      const length = responseLength(this.buf);
      if (length !== -1) {
        const status = statusOf(this.buf);
        this.buf = this.buf.subarray(length);
        const done = this.pending;
        this.pending = undefined;
        done?.(status);
      }
    });
    socket.on('error', (error) => this.failed?.(error));
    socket.on('close', () => this.failed?.(new Error('connection closed')));
  }

  static open(socketPath: string): Promise<KeepAliveClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(new KeepAliveClient(socket)));
      socket.once('error', reject);
    });
  }

  send(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending = resolve;
      this.failed = reject;
      this.socket.write(request);
    });
  }

  close(): void {
    this.failed = undefined;
    this.socket.destroy();
  }
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  latenciesMs: number[];
}

/**
 * `clients` concurrent loops for `durationMs`, each on its own keep-alive connection or a new
 * connection per request. Records every latency.
 */
export async function runLoad(socketPath: string, path: string, clients: number, keepAlive: boolean, durationMs: number): Promise<LoadResult> {
  const request = getRequest(path, keepAlive);
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = keepAlive ? await KeepAliveClient.open(socketPath) : undefined;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const status = client ? await client.send(request) : await requestOnce(socketPath, request);
          if (status !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
      client?.close();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, latenciesMs: latencies };
}

/** Exactly `count` requests over `clients` keep-alive connections (for the RSS run). */
export async function runCount(socketPath: string, path: string, clients: number, count: number): Promise<number> {
  const request = getRequest(path, true);
  let left = count;
  let errors = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = await KeepAliveClient.open(socketPath);
      while (left > 0) {
        left--;
        if ((await client.send(request)) !== 200) errors++;
      }
      client.close();
    }),
  );
  return errors;
}
