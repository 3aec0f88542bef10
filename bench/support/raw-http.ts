/**
 * A lean HTTP/1.1 load client over a Unix socket: pre-serialized requests, reads into one shared
 * buffer (`onread`, no Buffer or stream machinery per chunk) and a minimal response parser, so
 * the load generator — which shares the machine's cores with the broker — spends as little CPU
 * per request as it can, and the measurement is the broker, not the client.
 */
import { connect, type Socket } from 'node:net';

export function getRequest(path: string, keepAlive: boolean): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: broker\r\nX-Token-Broker-Client: bench\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`,
  );
}

/**
 * Every socket reads into this one buffer; each chunk is parsed synchronously in the read
 * callback before the next read can happen (one thread), so sharing it is safe.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;

/**
 * Incremental response framing: `feed()` returns the status once a whole response has arrived
 * (-1 while more is needed). Bytes past the response are kept for the next one (keep-alive).
 */
class ResponseReader {
  private pending: Buffer | undefined;

  feed(chunk: Buffer): number {
    // The common case: a response in one chunk, parsed straight from the shared buffer.
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const end = buf.indexOf(HEAD_END);
    if (end === -1) return this.keep(buf);
    const match = CONTENT_LENGTH.exec(buf.toString('latin1', 0, end));
    const total = end + 4 + (match === null ? 0 : Number(match[1]));
    if (buf.length < total) return this.keep(buf);
    const status = (buf[9] as number) * 100 + (buf[10] as number) * 10 + (buf[11] as number) - 111 * 48;
    this.pending = buf.length > total ? Buffer.from(buf.subarray(total)) : undefined;
    return status;
  }

  private keep(buf: Buffer): number {
    // Copy out of the shared buffer: the next read overwrites it.
    this.pending = Buffer.from(buf);
    return -1;
  }
}

/** One request on a new connection (Connection: close); resolves with the status. */
export function requestOnce(socketPath: string, request: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const reader = new ResponseReader();
    const socket: Socket = connect({
      path: socketPath,
      onread: {
        buffer: READ_BUFFER,
        callback: (length: number, buffer: Uint8Array): boolean => {
          const status = reader.feed((buffer as Buffer).subarray(0, length));
          if (status !== -1) {
            socket.destroy();
            resolve(status);
          }
          return true;
        },
      },
    });
    socket.on('error', reject);
    // Queued until the connection is up, like a write in the 'connect' handler, minus a listener.
    socket.write(request);
  });
}

/** A keep-alive connection sending one request at a time. */
export class KeepAliveClient {
  private socket: Socket;
  private readonly reader = new ResponseReader();
  private pending: ((status: number) => void) | undefined;
  private failed: ((error: Error) => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', (error) => this.failed?.(error));
    socket.on('close', () => this.failed?.(new Error('connection closed')));
  }

  static open(socketPath: string): Promise<KeepAliveClient> {
    return new Promise((resolve, reject) => {
      let client: KeepAliveClient | undefined;
      const socket = connect({
        path: socketPath,
        onread: {
          buffer: READ_BUFFER,
          callback: (length: number, buffer: Uint8Array): boolean => {
            client?.onChunk((buffer as Buffer).subarray(0, length));
            return true;
          },
        },
      });
      socket.once('connect', () => {
        client = new KeepAliveClient(socket);
        resolve(client);
      });
      socket.once('error', reject);
    });
  }

  private onChunk(chunk: Buffer): void {
    const status = this.reader.feed(chunk);
    if (status === -1) return;
    const done = this.pending;
    this.pending = undefined;
    done?.(status);
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
export async function runLoad(
  socketPath: string,
  path: string,
  clients: number,
  keepAlive: boolean,
  durationMs: number,
): Promise<LoadResult> {
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

/** `count` requests spread over already-open keep-alive clients (one in flight per client); resolves with the error count. */
export async function driveClients(clients: readonly KeepAliveClient[], request: Buffer, count: number): Promise<number> {
  let left = count;
  let errors = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (left > 0) {
        left--;
        if ((await client.send(request)) !== 200) errors++;
      }
    }),
  );
  return errors;
}
