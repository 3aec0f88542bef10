/**
 * A lean HTTP/1.1 keep-alive load client over TCP (or a Unix socket) with a pre-serialized
 * request, and a bare node:http upstream in its own process: the proxy bench loads the upstream
 * directly and through the proxy with the same client in the same run, so the difference is the
 * proxy's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';

/** Where to connect: a TCP address or a Unix socket path. */
export type Target = { host: string; port: number } | { path: string };

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;

/** One keep-alive connection sending one request at a time; resolves each with the status. */
export class Connection {
  private pending: Buffer | undefined;
  private waiting: ((status: number) => void) | undefined;
  private failed: ((error: Error) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    socket.on('error', (error) => this.failed?.(error));
    socket.on('close', () => this.failed?.(new Error('connection closed')));
  }

  static open(target: Target): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(target as never);
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  private feed(chunk: Buffer): void {
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const end = buf.indexOf(HEAD_END);
    if (end === -1) {
      this.pending = buf;
      return;
    }
    const match = CONTENT_LENGTH.exec(buf.toString('latin1', 0, end));
    const total = end + 4 + (match === null ? 0 : Number(match[1]));
    if (buf.length < total) {
      this.pending = buf;
      return;
    }
    this.pending = buf.length > total ? buf.subarray(total) : undefined;
    const status = Number(buf.toString('latin1', 9, 12));
    const done = this.waiting;
    this.waiting = undefined;
    done?.(status);
  }

  send(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
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
  rps: number;
  latenciesMs: number[];
}

/** `clients` keep-alive connections sending `request` in a loop for `durationMs`. */
export async function runLoad(target: Target, request: Buffer, clients: number, durationMs: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const connections = await Promise.all(Array.from({ length: clients }, () => Connection.open(target)));
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    connections.map(async (connection) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          if ((await connection.send(request)) !== 200) errors += 1;
        } catch {
          errors += 1;
          return;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const connection of connections) connection.close();
  return { requests: latencies.length, errors, rps: latencies.length / seconds, latenciesMs: latencies };
}

const UPSTREAM_SOURCE = `
const { createServer } = require('node:http');
const body = JSON.stringify({ id: 42, name: 'small resource', tags: ['a', 'b'] });
const server = createServer({ keepAliveTimeout: 30000 }, (req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

export interface Upstream {
  port: number;
  child: ChildProcess;
  close(): Promise<void>;
}

/** A bare node:http API answering a small JSON body, in its own process on 127.0.0.1. */
export async function startUpstream(): Promise<Upstream> {
  const child = spawn(process.execPath, ['-e', UPSTREAM_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`upstream exited ${code}`)));
    child.stdout?.once('data', (data: Buffer) => resolve(Number(String(data).trim())));
  });
  return {
    port,
    child,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const BARE_PROXY_SOURCE = `
const http = require('node:http');
const [upstreamPort] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true });
const server = http.createServer({ noDelay: true }, (req, res) => {
  const headers = { ...req.headers, host: '127.0.0.1:' + upstreamPort, authorization: 'Bearer static-token' };
  const upstream = http.request({ agent, host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  req.pipe(upstream);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/**
 * The floor of any Node proxy on this machine: node:http in and out with a keep-alive agent and a
 * fixed header, no checks, no broker. For context beside the real proxy.
 */
export async function startBareProxy(upstreamPort: number): Promise<Upstream> {
  const child = spawn(process.execPath, ['-e', BARE_PROXY_SOURCE, String(upstreamPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare proxy exited ${code}`)));
    child.stdout?.once('data', (data: Buffer) => resolve(Number(String(data).trim())));
  });
  return {
    port,
    child,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
