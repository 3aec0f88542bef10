/**
 * Which local user opened a loopback TCP connection. TCP carries no peer credentials, but on Linux
 * the kernel lists every socket with its owner's uid in /proc/net/tcp and /proc/net/tcp6 (the
 * table `ss` and identd read): the client's end of a connection to our port is the entry whose
 * local port is the client's port and whose remote port is ours. The sign-in listener uses it to
 * turn away connections from other users before they can fetch the start URL or deliver a callback.
 *
 * Synchronous reads of small kernel tables, done once per connection to a sign-in listener (a
 * handful per sign-in) — never on the token hand-out path.
 *
 * @see https://www.kernel.org/doc/html/latest/networking/proc_net_tcp.html
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/** The owner of the client end of a loopback connection, or why it is unknown. */
export type TcpPeerOwner = { known: true; uid: number } | { known: false; reason: 'unsupported' | 'not-found' };

const ESTABLISHED = '01';
const LISTEN = '0A';
const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];

/** True for a /proc/net/tcp{,6} address (hex, host byte order per 32-bit word) on the loopback network. */
function isLoopbackHex(address: string): boolean {
  const v4 = address.length === 8 ? address : address.length === 32 && /^0{16}FFFF0000/i.test(address) ? address.slice(24) : undefined;
  if (v4 !== undefined) {
    // Either byte order: the first octet 127 is the last byte on little-endian hosts.
    return v4.slice(6, 8) === '7F' || v4.slice(0, 2) === '7F';
  }
  // ::1 in either word order.
  return /^0{24}01000000$/i.test(address) || /^0{31}1$/i.test(address);
}

/**
 * Finds the uid that owns the client end of `socket` (an accepted loopback connection) in the
 * kernel's tables. `read` is injectable for tests of the parser; the real one reads /proc.
 */
export function tcpPeerOwner(
  socket: Pick<Socket, 'remotePort' | 'localPort'>,
  read: (path: string) => string | undefined = readTable,
): TcpPeerOwner {
  const clientPort = socket.remotePort;
  const serverPort = socket.localPort;
  if (clientPort === undefined || serverPort === undefined) return { known: false, reason: 'not-found' };
  const local = clientPort.toString(16).toUpperCase().padStart(4, '0');
  const remote = serverPort.toString(16).toUpperCase().padStart(4, '0');
  let readable = false;
  for (const table of TABLES) {
    const text = read(table);
    if (text === undefined) continue;
    readable = true;
    for (const line of text.split('\n')) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
      const fields = line.trim().split(/\s+/);
      if (fields.length < 8 || fields[3] !== ESTABLISHED) continue;
      const [localAddress, localPort] = (fields[1] ?? '').split(':');
      const [remoteAddress, remotePort] = (fields[2] ?? '').split(':');
      if (localPort !== local || remotePort !== remote) continue;
      if (!isLoopbackHex(localAddress ?? '') || !isLoopbackHex(remoteAddress ?? '')) continue;
      const uid = Number(fields[7]);
      if (Number.isInteger(uid) && uid >= 0) return { known: true, uid };
    }
  }
  return { known: false, reason: readable ? 'not-found' : 'unsupported' };
}

/** The uid of whoever listens on local TCP `port` (any address), for messages; undefined when unknown. */
export function tcpListenerOwner(port: number, read: (path: string) => string | undefined = readTable): number | undefined {
  const wanted = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of TABLES) {
    const text = read(table);
    if (text === undefined) continue;
    for (const line of text.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 8 || fields[3] !== LISTEN || (fields[1] ?? '').split(':')[1] !== wanted) continue;
      const uid = Number(fields[7]);
      if (Number.isInteger(uid) && uid >= 0) return uid;
    }
  }
  return undefined;
}

function readTable(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}
