/**
 * Who is on the other end of a loopback TCP connection, from the kernel's socket tables (Linux).
 *
 * A loopback TCP port is reachable by every local user, unlike a 0600 Unix socket. On Linux the
 * kernel lists every TCP socket in `/proc/net/tcp` and `/proc/net/tcp6` with its owner's uid and
 * inode: the client's socket is the entry whose local address is our connection's remote address
 * and whose remote address is our local one. Its uid decides; its inode leads to the process
 * holding it (`/proc/<pid>/fd/* → socket:[inode]`) for the audit log. Elsewhere there is no such
 * table and the proxy asks for its API key instead.
 *
 * @see proc(5) (`/proc/net/tcp`), Linux Documentation/networking/proc_net_tcp.rst
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { endianness } from 'node:os';

/** The owner of a socket as the kernel records it. */
export interface SocketOwner {
  uid: number;
  inode: number;
}

/** The four addresses of a TCP connection as seen from our (the accepting) side. */
export interface ConnectionEnds {
  localAddress?: string | undefined;
  localPort?: number | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/** Reads a file as text; tests pass canned tables. */
export type ReadText = (path: string) => Promise<string>;

const readText: ReadText = (path) => readFile(path, 'utf8');
const LITTLE_ENDIAN = endianness() === 'LE';

/** The 16 bytes of an IPv6 address (Node's canonical text form, embedded IPv4 allowed). */
function ipv6Bytes(address: string): Buffer | undefined {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (isIPv4(maybeV4)) {
    tail.push(...maybeV4.split('.').map(Number));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (rest === undefined && missing !== 0)) return undefined;
  const groups = [...left, ...new Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16));
  if (groups.some((group) => !Number.isInteger(group) || group < 0 || group > 0xffff)) return undefined;
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(group, index * 2));
  if (tail.length === 4) Buffer.from(tail).copy(bytes, 12);
  return bytes;
}

/** Each 32-bit word as the kernel prints it: `%08X` of the word in host byte order. */
function words(bytes: Buffer, littleEndian: boolean): string {
  let hex = '';
  for (let at = 0; at < bytes.length; at += 4) {
    const word = littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
    hex += word.toString(16).toUpperCase().padStart(8, '0');
  }
  return hex;
}

/**
 * The `ADDRESS:PORT` forms an endpoint can have in the kernel's tables: one for an IPv4
 * address (in `tcp`, and as `::ffff:a.b.c.d` in `tcp6`), one for an IPv6 address.
 */
export function procNetForms(address: string, port: number, littleEndian = LITTLE_ENDIAN): { tcp?: string; tcp6?: string } {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const plain = address.toLowerCase().startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(plain)) {
    const v4 = Buffer.from(plain.split('.').map(Number));
    const mapped = ipv6Bytes(`::ffff:${plain}`);
    return {
      tcp: `${words(v4, littleEndian)}:${hexPort}`,
      ...(mapped === undefined ? {} : { tcp6: `${words(mapped, littleEndian)}:${hexPort}` }),
    };
  }
  if (isIPv6(plain)) {
    const bytes = ipv6Bytes(plain);
    return bytes === undefined ? {} : { tcp6: `${words(bytes, littleEndian)}:${hexPort}` };
  }
  return {};
}

/**
 * Finds the entry with the given local and remote `ADDRESS:PORT` in one table's text and
 * returns its uid and inode.
 */
export function findInProcNetTable(table: string, local: string, remote: string): SocketOwner | undefined {
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[1] !== local || fields[2] !== remote) continue;
    const uid = Number(fields[7]);
    const inode = Number(fields[9]);
    if (Number.isSafeInteger(uid) && Number.isSafeInteger(inode)) return { uid, inode };
  }
  return undefined;
}

/**
 * The owner of the client's end of an accepted loopback connection, or undefined when the
 * kernel's tables do not show it (not Linux, /proc hidden, the client already gone).
 */
export async function tcpPeerOwner(ends: ConnectionEnds, read: ReadText = readText, procRoot = '/proc'): Promise<SocketOwner | undefined> {
  const { localAddress, localPort, remoteAddress, remotePort } = ends;
  if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) return undefined;
  // The client's socket: its local end is our remote end and vice versa.
  const clientLocal = procNetForms(remoteAddress, remotePort);
  const clientRemote = procNetForms(localAddress, localPort);
  for (const table of ['tcp', 'tcp6'] as const) {
    const local = clientLocal[table];
    const remote = clientRemote[table];
    if (local === undefined || remote === undefined) continue;
    let text: string;
    try {
      text = await read(`${procRoot}/net/${table}`);
    } catch {
      continue;
    }
    const owner = findInProcNetTable(text, local, remote);
    if (owner !== undefined) return owner;
  }
  return undefined;
}

/**
 * The process holding a socket inode, found through `/proc/<pid>/fd`: the pid and its
 * executable. Only processes of `uid` (when given) that we may inspect are searched, newest
 * first (the client that just connected is usually a recent process); the scan stops at the
 * first match. Costly (every candidate's fd table is read): for the audit log, not for the access
 * decision (the uid decides).
 */
export async function socketInodeProcess(
  inode: number,
  options: { uid?: number; procRoot?: string } = {},
): Promise<{ pid: number; exe?: string } | undefined> {
  const procRoot = options.procRoot ?? '/proc';
  const target = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = (await readdir(procRoot)).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (options.uid !== undefined) {
      const owner = await stat(`${procRoot}/${pid}`).then(
        (info) => info.uid,
        () => undefined,
      );
      if (owner !== options.uid) continue;
    }
    let fds: string[];
    try {
      fds = await readdir(`${procRoot}/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const link = await readlink(`${procRoot}/${pid}/fd/${fd}`).catch(() => undefined);
      if (link !== target) continue;
      const exe = await readlink(`${procRoot}/${pid}/exe`).catch(() => undefined);
      return { pid: Number(pid), ...(exe === undefined ? {} : { exe }) };
    }
  }
  return undefined;
}
