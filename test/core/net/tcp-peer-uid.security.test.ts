/** Who opened a loopback TCP connection, from the kernel's socket tables (Linux). */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTcpOwnerLookup, tcpPeerOwner } from '../../../main/core/net/tcp-peer-uid.js';
import { canActAsOtherUser, OTHER_UID, report, startAsOtherUser } from '../../support/other-user.js';

let server: Server;
let port: number;
const accepted: Socket[] = [];
const waiting: ((socket: Socket) => void)[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    accepted.push(socket);
    waiting.shift()?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of accepted) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const nextConnection = (): Promise<Socket> => new Promise((resolve) => waiting.push(resolve));

describe.runIf(process.platform === 'linux')('tcpPeerOwner', () => {
  it('names this process’s user for a connection it opened', async () => {
    const incoming = nextConnection();
    const client = connect(port, '127.0.0.1');
    const socket = await incoming;
    expect(tcpPeerOwner(socket)).toEqual({ known: true, uid: process.getuid?.() });
    client.destroy();
  });

  it('names an IPv6 loopback client too', async () => {
    const v6 = createServer();
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    const incoming = new Promise<Socket>((resolve) => v6.once('connection', resolve));
    const client = connect((v6.address() as { port: number }).port, '::1');
    const socket = await incoming;
    expect(tcpPeerOwner(socket)).toEqual({ known: true, uid: process.getuid?.() });
    client.destroy();
    socket.destroy();
    await new Promise((resolve) => v6.close(resolve));
  });

  it.runIf(canActAsOtherUser())('names another user for a connection they opened', async () => {
    const incoming = nextConnection();
    const other = startAsOtherUser('connect-tcp.mjs', [String(port)]);
    const { port: clientPort } = report<{ port: number }>(await other.waitForLine(/"connected"/));
    const socket = await incoming;
    expect(socket.remotePort).toBe(clientPort);
    expect(tcpPeerOwner(socket)).toEqual({ known: true, uid: OTHER_UID });
    await other.stop();
  });
});

describe('the table parser', () => {
  const TABLE = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0',
    '   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  4242        0 2 1 0 20 4 30 10 -1',
    '   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 20 4 30 10 -1',
    '   3: 0A000001:D432 0A000002:1F90 01 00000000:00000000 00:00000000 00000000  7777        0 4 1 0 20 4 30 10 -1',
  ].join('\n');
  const read = (path: string): string | undefined => (path.endsWith('tcp') ? TABLE : undefined);

  it('finds the client end by its port pair, on the loopback network, established', () => {
    expect(tcpPeerOwner({ remotePort: 0xd431, localPort: 0x1f90 }, read)).toEqual({ known: true, uid: 4242 });
    // Not on loopback: ignored.
    expect(tcpPeerOwner({ remotePort: 0xd432, localPort: 0x1f90 }, read)).toEqual({ known: false, reason: 'not-found' });
    expect(tcpPeerOwner({ remotePort: 1, localPort: 2 }, read)).toEqual({ known: false, reason: 'not-found' });
  });

  it('without the tables it says so', () => {
    expect(tcpPeerOwner({ remotePort: 0xd431, localPort: 0x1f90 }, () => undefined)).toEqual({ known: false, reason: 'unsupported' });
  });
});

describe('createTcpOwnerLookup', () => {
  const TABLE = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  4242        0 2 1 0 20 4 30 10 -1',
  ].join('\n');

  it('a burst of connections shares one read of the tables, made after they were accepted', async () => {
    let reads = 0;
    const lookup = createTcpOwnerLookup({
      minIntervalMs: 5,
      read: (path) => {
        reads += 1;
        return path.endsWith('tcp') ? TABLE : undefined;
      },
    });
    const answers = await Promise.all(Array.from({ length: 100 }, () => lookup.ownerOf({ remotePort: 0xd431, localPort: 0x1f90 })));
    expect(answers.every((answer) => answer.known && answer.uid === 4242)).toBe(true);
    expect(reads).toBe(2); // tcp and tcp6, once
    // A later connection needs a later read.
    await lookup.ownerOf({ remotePort: 0xd431, localPort: 0x1f90 });
    expect(reads).toBe(4);
  });
});
