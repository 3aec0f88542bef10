/**
 * Who is on the other end of a local socket, as the kernel recorded it — not as the peer claims.
 *
 * - Linux: `getsockopt(SO_PEERCRED)` gives the peer's pid, uid and gid (taken when it called
 *   `connect()` or `listen()`); the executable is `/proc/<pid>/exe`, the command line
 *   `/proc/<pid>/cmdline`.
 * - macOS: `getpeereid()` gives the uid and gid, `getsockopt(LOCAL_PEERPID)` the pid and
 *   `proc_pidpath()` the executable (written for macOS, type-checked here; the CI runs on Linux).
 * - Anywhere else (Windows named pipes, TCP connections, other Unixes): the peer is
 *   **unverified**, and every caller of this module says so.
 *
 * The system calls go through koffi (net/koffi.ts). koffi is loaded once per process, when the
 * first reader is created; reading a peer is one system call plus one `readlink`, done once per
 * connection (never per request).
 *
 * Limits (docs/security.md): the pid may be reused after the peer exits, so the executable is read
 * at once, while the connection is fresh; a process running as the same user can still be
 * something other than its executable says (ptrace, LD_PRELOAD): the verified executable tells
 * honest programs apart, it does not stop malware running as you.
 *
 * @see https://man7.org/linux/man-pages/man7/unix.7.html (SO_PEERCRED)
 * @see https://koffi.dev/
 */
import { readFileSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { linuxLibc, loadKoffi } from '../net/koffi.js';

/** A peer the kernel vouched for. */
export interface VerifiedPeer {
  verified: true;
  uid: number;
  gid: number;
  pid: number;
  /** The peer's executable (absolute path), when it could be read; may end in " (deleted)". */
  exe?: string;
}

/** A peer nobody vouched for (TCP, Windows, a failed system call); `reason` says why, for logs. */
export interface UnverifiedPeer {
  verified: false;
  reason: string;
}

export type PeerIdentity = VerifiedPeer | UnverifiedPeer;

/** The raw kernel answer for one socket file descriptor. */
export interface RawPeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** Reads the peer of a connected Unix socket by file descriptor; undefined when the kernel says nothing. */
export type PeerCredentialCall = (fd: number) => RawPeerCredentials | undefined;

/** The peer-credential reader of this platform; `describe` never throws. */
export interface PeerCredentialReader {
  /** True when this platform can verify peers at all. */
  readonly supported: boolean;
  /** The verified identity of a connected Unix socket's peer, or why it is unverified. */
  describe(socket: Socket): PeerIdentity;
}

/** Longest command line kept for an approval prompt, in characters. */
export const MAX_COMMAND_LINE_LENGTH = 512;

const unsupported = (reason: string): PeerCredentialReader => ({
  supported: false,
  describe: () => ({ verified: false, reason }),
});

/**
 * The descriptor of a connected net.Socket. Node does not document it, but its Pipe and TCP
 * handles expose `fd` on Unix (-1 or undefined once closed, and on Windows).
 */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

/** `SOL_SOCKET` / `SO_PEERCRED` by Linux architecture (asm-generic, except the few that differ). */
function linuxPeerCredOption(arch: string): { level: number; option: number } | undefined {
  switch (arch) {
    case 'x64':
    case 'ia32':
    case 'arm':
    case 'arm64':
    case 'riscv64':
    case 'loong64':
    case 's390x':
      return { level: 1, option: 17 };
    case 'ppc64':
    case 'ppc':
      return { level: 1, option: 21 };
    default:
      return undefined;
  }
}

/** Linux: SO_PEERCRED fills `struct ucred { pid_t pid; uid_t uid; gid_t gid; }` (12 bytes). */
export function linuxPeerCredentialCall(arch: string = process.arch): PeerCredentialCall | undefined {
  const constants = linuxPeerCredOption(arch);
  if (constants === undefined) return undefined;
  const { libc } = linuxLibc(arch);
  const getsockopt = libc.func('int getsockopt(int fd, int level, int optname, _Inout_ void *optval, _Inout_ void *optlen)');
  return (fd) => {
    // Typed arrays in the machine's own byte order, as the kernel writes the struct.
    const value = new Int32Array(3);
    const length = new Uint32Array([value.byteLength]);
    if (getsockopt(fd, constants.level, constants.option, value, length) !== 0 || length[0] !== value.byteLength) return undefined;
    const pid = value[0] as number;
    // A socket whose peer is gone reports pid 0 and the overflow ids.
    if (pid <= 0) return undefined;
    return { pid, uid: (value[1] as number) >>> 0, gid: (value[2] as number) >>> 0 };
  };
}

/** macOS: getpeereid() for uid/gid, LOCAL_PEERPID (SOL_LOCAL 0, option 2) for the pid. */
function darwinCall(arch: string): { call: PeerCredentialCall; exe: (pid: number) => string | undefined } {
  const koffi = loadKoffi('darwin', arch);
  const system = koffi.load('/usr/lib/libSystem.B.dylib');
  const getpeereid = system.func('int getpeereid(int fd, _Out_ void *uid, _Out_ void *gid)');
  const getsockopt = system.func('int getsockopt(int fd, int level, int optname, _Inout_ void *optval, _Inout_ void *optlen)');
  const procPidPath = system.func('int proc_pidpath(int pid, _Out_ void *buffer, uint32_t size)');
  const PROC_PIDPATHINFO_MAXSIZE = 4 * 1024;
  return {
    call(fd) {
      const uid = Buffer.alloc(4);
      const gid = Buffer.alloc(4);
      if (getpeereid(fd, uid, gid) !== 0) return undefined;
      const pid = Buffer.alloc(4);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(4);
      if (getsockopt(fd, 0, 2, pid, length) !== 0) return undefined;
      const peerPid = pid.readInt32LE(0);
      if (peerPid <= 0) return undefined;
      return { pid: peerPid, uid: uid.readUInt32LE(0), gid: gid.readUInt32LE(0) };
    },
    exe(pid) {
      const buffer = Buffer.alloc(PROC_PIDPATHINFO_MAXSIZE);
      const written = procPidPath(pid, buffer, PROC_PIDPATHINFO_MAXSIZE) as number;
      return written > 0 ? buffer.subarray(0, written).toString('utf8') : undefined;
    },
  };
}

/** Linux: the executable behind a pid; undefined when it cannot be read (gone, another user's). */
function linuxExe(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * A process's command line as a list of arguments (Linux: `/proc/<pid>/cmdline`), bounded to
 * {@link MAX_COMMAND_LINE_LENGTH} characters; undefined elsewhere or when it cannot be read.
 * For an approval prompt only: a command line may hold anything, so it is never audited or logged.
 */
export function readCommandLine(pid: number, platform: NodeJS.Platform = process.platform): string[] | undefined {
  if (platform !== 'linux') return undefined;
  let raw: Buffer;
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return undefined;
  }
  const args: string[] = [];
  let total = 0;
  for (const part of raw.toString('utf8').split('\0')) {
    if (part === '' && args.length > 0) continue;
    if (total + part.length > MAX_COMMAND_LINE_LENGTH) {
      args.push(`${part.slice(0, Math.max(0, MAX_COMMAND_LINE_LENGTH - total))}…`);
      break;
    }
    args.push(part);
    total += part.length;
  }
  return args.length === 0 ? undefined : args;
}

/** A reader from a raw call and an executable lookup (exported so tests can drive it with a fake call). */
export function readerFrom(call: PeerCredentialCall, exe: (pid: number) => string | undefined): PeerCredentialReader {
  return {
    supported: true,
    describe(socket) {
      const fd = socketFd(socket);
      if (fd === undefined) return { verified: false, reason: 'not a Unix socket' };
      let raw: RawPeerCredentials | undefined;
      try {
        raw = call(fd);
      } catch {
        raw = undefined;
      }
      if (raw === undefined) return { verified: false, reason: 'the kernel did not report the peer' };
      const path = exe(raw.pid);
      return path === undefined ? { verified: true, ...raw } : { verified: true, ...raw, exe: path };
    },
  };
}

/**
 * Creates the reader for this platform. Never throws: where peers cannot be verified (or koffi
 * cannot be loaded), the reader answers "unverified" with the reason.
 */
export function createPeerCredentialReader(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): PeerCredentialReader {
  try {
    if (platform === 'linux') {
      const call = linuxPeerCredentialCall(arch);
      return call === undefined ? unsupported(`peer credentials are not supported on linux-${arch}`) : readerFrom(call, linuxExe);
    }
    if (platform === 'darwin') {
      const { call, exe } = darwinCall(arch);
      return readerFrom(call, exe);
    }
  } catch (error) {
    return unsupported(`peer credentials are unavailable (${(error as Error).message.slice(0, 120)})`);
  }
  return unsupported(`peer credentials are not supported on ${platform}`);
}

let shared: PeerCredentialReader | undefined;

/** This process's reader, created on first use (koffi is loaded once per process). */
export function peerCredentialReader(): PeerCredentialReader {
  shared ??= createPeerCredentialReader();
  return shared;
}

/** For TCP connections and other transports without kernel-vouched peers. */
export const UNVERIFIED_TCP: UnverifiedPeer = Object.freeze({ verified: false, reason: 'TCP connections carry no peer credentials' });
