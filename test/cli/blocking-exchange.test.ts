/**
 * The CLI's blocking exchange (main/cli/blocking-exchange.ts) over real Unix sockets. It blocks
 * this thread until the answer, so the broker stand-in runs in a child process: a node:http server
 * that reports each connection's received bytes on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawPeerCredentials } from '../../main/core/api/peer-credentials.js';
import { createBlockingExchange, type BlockingExchange } from '../../main/cli/blocking-exchange.js';
import { answerComplete } from '../../main/cli/client.js';

const STAND_IN = `
import { createServer } from 'node:http';
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    process.stdout.write('request ' + req.url + '\\n');
    if (req.url === '/silent') return;
    if (req.url === '/linger') {
      // A whole answer, and the connection held open long after it.
      req.socket.write('HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: 11\\r\\n\\r\\n{"ok":true}');
      setTimeout(() => req.socket.destroy(), 20_000).unref();
      return;
    }
    if (req.url === '/big') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ filler: 'é'.repeat(150_000) }));
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, client: req.headers['x-token-broker-client'], body }));
  });
});
server.on('connection', (socket) => {
  let bytes = 0;
  socket.on('data', (chunk) => (bytes += chunk.length));
  socket.on('close', () => process.stdout.write('closed ' + bytes + '\\n'));
});
server.listen(process.argv[1], () => process.stdout.write('ready\\n'));
`;

const supported = process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch);
let dir: string;
let socketPath: string;
let standIn: ChildProcess;
let output = '';
let exchange: BlockingExchange;

function waitFor(pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stand-in never printed ${pattern}: ${output}`)), 20_000);
    const check = (): void => {
      const match = pattern.exec(output);
      if (match === null) return;
      output = output.slice(match.index + match[0].length);
      clearTimeout(timer);
      standIn.stdout?.off('data', check);
      resolve(match[0]);
    };
    standIn.stdout?.on('data', check);
    check();
  });
}

const request = (method: string, path: string, body = ''): Buffer =>
  Buffer.from(
    `${method} ${path} HTTP/1.1\r\nHost: broker\r\nX-Token-Broker-Client: test\r\n` +
      `${body === '' ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`}Connection: close\r\n\r\n${body}`,
  );

const bodyOf = (answer: Buffer): unknown => JSON.parse(answer.subarray(answer.indexOf('\r\n\r\n') + 4).toString('utf8'));

describe.runIf(supported)('the blocking exchange on Linux', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tb-blocking-'));
    socketPath = join(dir, 'broker.sock');
    standIn = spawn(process.execPath, ['--input-type=module', '-e', STAND_IN, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    standIn.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    await waitFor(/ready\n/);
    const created = createBlockingExchange();
    if (created === undefined) throw new Error('no blocking exchange on linux-' + process.arch);
    exchange = created;
  });

  afterAll(async () => {
    standIn?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the request and returns the whole answer, after the kernel named the listener', () => {
    const peers: (RawPeerCredentials | undefined)[] = [];
    const answer = exchange(socketPath, request('POST', '/v1/x?y=1', '{"a":1}'), 5_000, (peer) => peers.push(peer));
    expect(answer.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(bodyOf(answer)).toEqual({ method: 'POST', url: '/v1/x?y=1', client: 'test', body: '{"a":1}' });
    // The stand-in is a child of this process, running as this user.
    expect(peers).toEqual([{ pid: standIn.pid, uid: process.getuid?.(), gid: process.getgid?.() }]);
  });

  it('reads an answer larger than one receive, byte for byte', () => {
    const answer = exchange(socketPath, request('GET', '/big'), 5_000, () => undefined);
    expect(bodyOf(answer)).toEqual({ filler: 'é'.repeat(150_000) });
  });

  it('sends nothing to a listener the caller refuses, and passes the refusal on', async () => {
    output = '';
    const refusal = new Error('not ours');
    expect(() =>
      exchange(socketPath, request('GET', '/v1/secret'), 5_000, () => {
        throw refusal;
      }),
    ).toThrow(refusal);
    exchange(socketPath, request('GET', '/marker'), 5_000, () => undefined);
    await waitFor(/closed 0\n/);
    const seen = output + (await waitFor(/request \/marker\n/));
    expect(seen).not.toContain('/v1/secret');
  });

  it('returns as soon as `complete` says the answer is whole, without waiting for the close', () => {
    // The stand-in keeps this connection open for 20 s: waiting for its close would time out.
    const answer = exchange(socketPath, request('GET', '/linger'), 2_000, () => undefined, answerComplete);
    expect(bodyOf(answer)).toEqual({ ok: true });
  });

  it('gives up with ETIMEDOUT when the broker does not answer in time', () => {
    expect(() => exchange(socketPath, request('GET', '/silent'), 300, () => undefined)).toThrow(
      expect.objectContaining({ code: 'ETIMEDOUT', syscall: 'recv' }),
    );
  });

  it('says ENOENT when nothing is at the path, and ECONNREFUSED where nothing listens (a directory)', () => {
    expect(() => exchange(join(dir, 'absent.sock'), request('GET', '/'), 1_000, () => undefined)).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'connect' }),
    );
    expect(() => exchange(dir, request('GET', '/'), 1_000, () => undefined)).toThrow(expect.objectContaining({ code: 'ECONNREFUSED' }));
  });
});

describe('where there is no blocking exchange', () => {
  it('answers undefined, so the CLI uses node:net', () => {
    expect(createBlockingExchange('darwin', 'arm64')).toBeUndefined();
    expect(createBlockingExchange('win32', 'x64')).toBeUndefined();
    expect(createBlockingExchange('linux', 'ia32')).toBeUndefined();
  });

  it.runIf(supported)('exists on this machine (so the tests above ran)', () => {
    expect(createBlockingExchange()).toBeTypeOf('function');
  });
});
