import { createConnection, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findInProcNetTable, procNetForms, socketInodeProcess, tcpPeerOwner } from '../../../main/core/proxy/tcp-peer.js';

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:988D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 66083 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D2F0 0100007F:988D 01 00000000:00000000 00:00000000 00000000  1000        0 71234 1 0000000000000000 20 4 30 10 -1
`;

describe('the kernel socket table (/proc/net/tcp, proc(5))', () => {
  it('encodes addresses the way the kernel prints them', () => {
    expect(procNetForms('127.0.0.1', 0x988d, true)).toEqual({ tcp: '0100007F:988D', tcp6: '0000000000000000FFFF00000100007F:988D' });
    expect(procNetForms('127.0.0.1', 80, false).tcp).toBe('7F000001:0050');
    expect(procNetForms('::1', 443, true)).toEqual({ tcp6: '00000000000000000000000001000000:01BB' });
    expect(procNetForms('::ffff:127.0.0.1', 1, true).tcp).toBe('0100007F:0001');
    expect(procNetForms('not-an-ip', 1)).toEqual({});
  });

  it('finds an entry by its local and remote ends', () => {
    expect(findInProcNetTable(TABLE, '0100007F:D2F0', '0100007F:988D')).toEqual({ uid: 1000, inode: 71234 });
    expect(findInProcNetTable(TABLE, '0100007F:988D', '0100007F:D2F0')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('names this user and process as the peer of a real loopback connection', async () => {
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = createConnection(port, '127.0.0.1');
    try {
      const socket = await accepted;
      const owner = await tcpPeerOwner(socket);
      expect(owner).toEqual({ uid: process.getuid?.(), inode: expect.any(Number) });
      expect(await socketInodeProcess(owner?.inode ?? 0)).toEqual({ pid: process.pid, exe: process.execPath });
      expect(await socketInodeProcess(owner?.inode ?? 0, { uid: (process.getuid?.() ?? 0) + 1 })).toBeUndefined();
      expect(
        await tcpPeerOwner({ localAddress: socket.localAddress, localPort: socket.localPort, remoteAddress: '127.0.0.1', remotePort: 1 }),
      ).toBeUndefined();
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('gives nothing when the table cannot be read', async () => {
    const ends = { localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2 };
    expect(await tcpPeerOwner(ends, () => Promise.reject(new Error('EACCES')))).toBeUndefined();
    expect(await tcpPeerOwner({})).toBeUndefined();
  });
});
