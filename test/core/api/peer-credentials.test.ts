/**
 * Peer credentials over real Unix sockets: the kernel's word (SO_PEERCRED through koffi) about
 * who connected, from this process and from a process of another user.
 */
import { realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPeerCredentialReader,
  readCommandLine,
  readerFrom,
  socketFd,
  UNVERIFIED_TCP,
  type PeerCredentialReader,
} from '../../../main/core/api/peer-credentials.js';
import { canActAsOtherUser, OTHER_UID, report, startAsOtherUser } from '../../support/other-user.js';

let dir: string;
let reader: PeerCredentialReader;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tb-peer-'));
  reader = createPeerCredentialReader();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A Unix socket server whose accepted sockets are handed to `onConnection`. */
function listenUnix(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(onConnection);
    server.listen(path, () => resolve(server));
  });
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe.runIf(process.platform === 'linux')('on Linux', () => {
  it('is supported', () => {
    expect(reader.supported).toBe(true);
  });

  it('names this process on both ends of a socket: uid, gid, pid and executable', async () => {
    const path = join(dir, 'self.sock');
    let seen: ReturnType<PeerCredentialReader['describe']> | undefined;
    const server = await listenUnix(path, (socket) => {
      seen = reader.describe(socket);
      socket.end();
    });
    const client = connect(path);
    await new Promise((resolve) => client.once('connect', resolve));
    const serverSide = reader.describe(client);
    await new Promise((resolve) => client.once('close', resolve));
    await close(server);

    const self = {
      verified: true,
      uid: process.getuid?.(),
      gid: process.getgid?.(),
      pid: process.pid,
      exe: realpathSync(process.execPath),
    };
    expect(seen).toEqual(self);
    // The client sees the server (this process too): what the CLI checks before trusting a broker.
    expect(serverSide).toEqual(self);
  });

  it.runIf(canActAsOtherUser())('names a client of another user by its uid, pid and executable', async () => {
    const path = join(dir, 'other.sock');
    const seen: ReturnType<PeerCredentialReader['describe']>[] = [];
    const accepted: Socket[] = [];
    const server = await listenUnix(path, (socket) => {
      seen.push(reader.describe(socket));
      accepted.push(socket);
    });
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o755);
    await chmod(path, 0o777);
    const other = startAsOtherUser('connect-unix.mjs', [path]);
    const { pid } = report<{ pid: number }>(await other.waitForLine(/"connected"/));
    await other.stop();
    for (const socket of accepted) socket.destroy();
    await close(server);
    expect(seen).toEqual([{ verified: true, uid: OTHER_UID, gid: OTHER_UID, pid, exe: realpathSync(process.execPath) }]);
  });

  it('a TCP connection carries no peer credentials: unverified', async () => {
    let seen: ReturnType<PeerCredentialReader['describe']> | undefined;
    const server = createServer((socket) => {
      seen = reader.describe(socket);
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('close', resolve));
    await close(server);
    expect(seen?.verified).toBe(false);
    expect(UNVERIFIED_TCP.verified).toBe(false);
  });

  it('reads a process command line, bounded', () => {
    const args = readCommandLine(process.pid);
    expect(args?.[0]).toBeDefined();
    expect(args?.join('').length ?? 0).toBeLessThanOrEqual(513);
    expect(readCommandLine(process.pid, 'darwin')).toBeUndefined();
    expect(readCommandLine(2 ** 30)).toBeUndefined();
  });
});

describe('everywhere', () => {
  it('platforms without peer credentials answer "unverified" with the reason', async () => {
    const windows = createPeerCredentialReader('win32');
    expect(windows.supported).toBe(false);
    const answer = windows.describe(connect({ path: join(dir, 'none.sock') }).on('error', () => {}));
    expect(answer).toEqual({ verified: false, reason: 'peer credentials are not supported on win32' });
  });

  it('a socket without a descriptor, or a kernel that says nothing, is unverified', () => {
    const fake = readerFrom(
      () => undefined,
      () => '/bin/x',
    );
    const closed = connect({ path: join(dir, 'none.sock') }).on('error', () => {});
    closed.destroy();
    expect(socketFd(closed)).toBeUndefined();
    expect(fake.describe(closed)).toEqual({ verified: false, reason: 'not a Unix socket' });
  });
});
