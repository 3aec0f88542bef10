/**
 * Which local user opened a loopback TCP connection. TCP carries no peer credentials, but on Linux
 * the kernel lists every socket with its owner's uid in /proc/net/tcp and /proc/net/tcp6 (the
 * table `ss` and identd read): the client's end of a connection to our port is the entry whose
 * local port is the client's port and whose remote port is ours. The sign-in listener uses it to
 * turn away connections from other users before they can fetch the start URL or deliver a callback.
 *
 * The tables list every TCP socket of the machine, so reading them costs in proportion: the
 * sign-in listener uses {@link createTcpOwnerLookup}, which reads them at most once per few
 * milliseconds however many connections arrive (a flood of connections cannot turn into a flood of
 * table reads), and only ever decides from a read made after the connection was accepted.
 * Never on the token hand-out path.
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

/** `clientPort:serverPort` (hex, as the tables write ports) → owner uid, for established loopback connections. */
type ConnectionIndex = Map<string, number>;

/** Indexes the tables once: every established connection between loopback addresses, by its port pair. */
function indexTables(read: (path: string) => string | undefined): ConnectionIndex | undefined {
  const index: ConnectionIndex = new Map();
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
      if (!isLoopbackHex(localAddress ?? '') || !isLoopbackHex(remoteAddress ?? '')) continue;
      const uid = Number(fields[7]);
      if (Number.isInteger(uid) && uid >= 0) index.set(`${localPort}:${remotePort}`, uid);
    }
  }
  return readable ? index : undefined;
}

function ownerIn(index: ConnectionIndex | undefined, socket: Pick<Socket, 'remotePort' | 'localPort'>): TcpPeerOwner {
  if (index === undefined) return { known: false, reason: 'unsupported' };
  const clientPort = socket.remotePort;
  const serverPort = socket.localPort;
  if (clientPort === undefined || serverPort === undefined) return { known: false, reason: 'not-found' };
  // The client's end: its local port is the client's, its remote port is ours.
  const key = `${hexPort(clientPort)}:${hexPort(serverPort)}`;
  const uid = index.get(key);
  return uid === undefined ? { known: false, reason: 'not-found' } : { known: true, uid };
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Finds the uid that owns the client end of `socket` (an accepted loopback connection) in the
 * kernel's tables. `read` is injectable for tests of the parser; the real one reads /proc.
 */
export function tcpPeerOwner(
  socket: Pick<Socket, 'remotePort' | 'localPort'>,
  read: (path: string) => string | undefined = readTable,
): TcpPeerOwner {
  return ownerIn(indexTables(read), socket);
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

export interface TcpOwnerLookup {
  /**
   * The owner of the client end of an accepted loopback connection, from a table read made after
   * this call (reads are shared between the connections that wait for one).
   */
  ownerOf(socket: Pick<Socket, 'remotePort' | 'localPort'>): Promise<TcpPeerOwner>;
}

/**
 * Reads the kernel's tables at most once per `minIntervalMs` and answers every connection waiting
 * at that moment from the same read.
 */
export function createTcpOwnerLookup(
  options: { minIntervalMs?: number; read?: (path: string) => string | undefined; now?: () => number } = {},
): TcpOwnerLookup {
  const minIntervalMs = options.minIntervalMs ?? 10;
  const read = options.read ?? readTable;
  const now = options.now ?? (() => performance.now());
  let snapshot: { at: number; index: ConnectionIndex | undefined } | undefined;
  let next: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    next ??= new Promise<void>((resolve) => {
      const wait = snapshot === undefined ? 0 : Math.max(0, snapshot.at + minIntervalMs - now());
      setTimeout(() => {
        const at = now();
        snapshot = { at, index: indexTables(read) };
        next = undefined;
        resolve();
      }, wait);
    });
    return next;
  };

  return {
    async ownerOf(socket) {
      const askedAt = now();
      // Only a read made after the connection was accepted can list it.
      while (snapshot === undefined || snapshot.at < askedAt) await refresh();
      return ownerIn(snapshot.index, socket);
    },
  };
}
