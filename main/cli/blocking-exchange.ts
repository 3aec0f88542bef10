/**
 * One request and its whole answer over the broker's Unix socket, through blocking libc calls:
 * socket, connect, the kernel's word on who listens (SO_PEERCRED), send, recv until the broker
 * closes. For the CLI's one-shot commands only (issue 15): they must load koffi for the peer check
 * anyway (issue 10), and with it they need neither node:net nor the streams under it, nor an
 * event-loop turn per step — together ~6 ms of the 10 ms a call may cost over `node -e 0`
 * (`npm run bench`, cli rows; docs/architecture.md).
 *
 * It blocks the thread until the broker answers (or the timeout), so it must never run in a process
 * that serves the socket itself: the CLI's bins opt in (client.ts `preferBlockingExchange`), and
 * everything else keeps the event-loop client.
 *
 * Linux on x64 and arm64 only, where the constants below hold (asm-generic socket options, 64-bit
 * `struct timeval`); elsewhere, or when koffi cannot load, {@link createBlockingExchange} answers
 * undefined and the CLI uses node:net.
 *
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @see https://man7.org/linux/man-pages/man7/socket.7.html (SO_RCVTIMEO)
 */
import { getSystemErrorName } from 'node:util';
import { linuxPeerCredentialCall, type RawPeerCredentials } from '../core/api/peer-credentials.js';
import { linuxLibc } from '../core/net/koffi.js';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
/** Not inherited by a child the CLI starts (`exec`). */
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
/** A broker that went away makes send() fail with EPIPE instead of raising SIGPIPE. */
const MSG_NOSIGNAL = 0x4000;
/** `struct sockaddr_un`: a 2-byte family, then up to 108 bytes of path. */
const SUN_PATH_OFFSET = 2;
const SUN_PATH_SIZE = 108;
const EINTR = 4;
const EAGAIN = 11;
/** What one recv() may return; token answers are a few KB. */
const RECEIVE_CHUNK = 64 * 1024;
const SUPPORTED_ARCHES = new Set(['x64', 'arm64']);

/**
 * Sends `request` to the broker on `socketPath` and returns every byte it answers until it closes
 * the connection, or until `complete` says the answer is whole (the broker's FIN can come a
 * millisecond after its last byte, which is worth not waiting for). `checkPeer` sees the listener's credentials (undefined when the kernel gave none)
 * before anything is sent, and throws to refuse it. Gives up after `timeoutMs` without a byte from
 * the broker (0 waits forever). Failures of the system calls throw an Error with the errno's name
 * in `code` (ENOENT, ECONNREFUSED, ETIMEDOUT, …), as node:net would.
 */
export type BlockingExchange = (
  socketPath: string,
  request: Buffer,
  timeoutMs: number,
  checkPeer: (peer: RawPeerCredentials | undefined) => void,
  complete?: (answer: Buffer) => boolean,
) => Buffer;

function systemError(call: string, errno: number): NodeJS.ErrnoException {
  let code: string;
  try {
    code = errno === EAGAIN ? 'ETIMEDOUT' : getSystemErrorName(-errno);
  } catch {
    code = `errno ${errno}`;
  }
  return Object.assign(new Error(`${call} failed: ${code}`), { code, errno, syscall: call });
}

/** `struct timeval` of a 64-bit Linux: seconds and microseconds, each a signed 64-bit integer. */
function timeval(ms: number): BigInt64Array {
  return new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1000)]);
}

/** `struct sockaddr_un` for `path`: the family in the machine's byte order, the path, a NUL. */
function unixAddress(path: Buffer): Uint8Array {
  const address = new Uint8Array(SUN_PATH_OFFSET + path.length + 1);
  new Uint16Array(address.buffer, 0, 1)[0] = AF_UNIX;
  address.set(path, SUN_PATH_OFFSET);
  return address;
}

/** The libc calls of the exchange, bound through koffi; undefined where they cannot be. */
function bindCalls(arch: string) {
  try {
    const { koffi, libc } = linuxLibc(arch);
    const peerOf = linuxPeerCredentialCall(arch);
    if (peerOf === undefined) return undefined;
    return {
      errno: (): number => koffi.errno(),
      peerOf,
      socket: libc.func('int socket(int domain, int type, int protocol)'),
      connect: libc.func('int connect(int fd, const void *addr, uint32_t len)'),
      setsockopt: libc.func('int setsockopt(int fd, int level, int optname, const void *optval, uint32_t optlen)'),
      send: libc.func('intptr_t send(int fd, const void *buf, uintptr_t len, int flags)'),
      recv: libc.func('intptr_t recv(int fd, _Out_ void *buf, uintptr_t len, int flags)'),
      close: libc.func('int close(int fd)'),
    };
  } catch {
    return undefined;
  }
}

/** The exchange of this platform, or undefined where there is none (the caller uses node:net). */
export function createBlockingExchange(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): BlockingExchange | undefined {
  if (platform !== 'linux' || !SUPPORTED_ARCHES.has(arch)) return undefined;
  const call = bindCalls(arch);
  if (call === undefined) return undefined;
  const { errno } = call;

  // Typed arrays rather than Buffer methods below: each Buffer method's first use compiles Node's
  // own code for it (~0.1 ms apiece), and this runs once per process.
  return (socketPath, request, timeoutMs, checkPeer, complete) => {
    const path = Buffer.from(socketPath, 'utf8');
    // The caller checks the length (client.ts brokerSocketPath); this keeps the struct intact regardless.
    if (path.length >= SUN_PATH_SIZE) throw Object.assign(new Error('socket path too long'), { code: 'ENAMETOOLONG' });
    const fd = call.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) throw systemError('socket', errno());
    try {
      const address = unixAddress(path);
      if ((call.connect(fd, address, address.length) as number) !== 0) throw systemError('connect', errno());
      // Nothing is sent to (or trusted from) a broker the caller does not accept.
      checkPeer(call.peerOf(fd));
      if (timeoutMs > 0) {
        // The request is far smaller than a fresh socket's buffer, so only receiving can wait.
        const limit = timeval(timeoutMs);
        if ((call.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, limit, limit.byteLength) as number) !== 0)
          throw systemError('setsockopt', errno());
      }
      for (let sent = 0; sent < request.length;) {
        const n = Number(call.send(fd, sent === 0 ? request : request.subarray(sent), request.length - sent, MSG_NOSIGNAL));
        if (n < 0) {
          const code = errno();
          if (code === EINTR) continue;
          throw systemError('send', code);
        }
        sent += n;
      }
      const chunks: Uint8Array[] = [];
      let total = 0;
      const received = (): Buffer => {
        const first = chunks[0];
        if (chunks.length === 1 && first !== undefined) return Buffer.from(first.buffer, 0, first.length);
        return Buffer.concat(chunks, total);
      };
      for (;;) {
        const chunk = new Uint8Array(RECEIVE_CHUNK);
        const n = Number(call.recv(fd, chunk, chunk.length, 0));
        if (n === 0) break;
        if (n < 0) {
          const code = errno();
          if (code === EINTR) continue;
          throw systemError('recv', code);
        }
        chunks.push(chunk.subarray(0, n));
        total += n;
        if (complete?.(received()) === true) break;
      }
      return received();
    } finally {
      call.close(fd);
    }
  };
}
