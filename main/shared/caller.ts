/**
 * Who asked for a token: the kernel's word about the process on the other end of the Unix socket
 * (issue 10: `X-Token-Broker-Client` is only a claim). On the socket the broker reads the peer's
 * uid and pid and, from the pid, its executable; over TCP (and on Windows) nobody vouches for the
 * caller, and it is shown as unverified. Audit entries, approval prompts and "remember for an
 * hour" use it; the claimed name is shown beside it.
 */

/** A caller as recorded (CONTRACTS.md: `caller?: { verified, uid?, pid?, exe? }`). */
export interface CallerInfo {
  /** True when the kernel vouched for uid and pid (Unix socket peer credentials). */
  verified: boolean;
  uid?: number;
  pid?: number;
  /** The verified process's executable, when it could be read. */
  exe?: string;
}

/** The caller of a connection nobody vouches for (TCP, Windows). One shared, frozen object. */
export const UNVERIFIED_CALLER: CallerInfo = Object.freeze({ verified: false });

/**
 * What "the same program" means for a remembered approval: its verified executable; a verified
 * caller whose executable could not be read counts as that one process only; an unverified
 * one is just unverified.
 */
export function callerKey(caller: CallerInfo | undefined): string {
  if (caller === undefined || !caller.verified) return 'unverified';
  return caller.exe !== undefined ? `exe:${caller.exe}` : `pid:${caller.pid ?? '?'}`;
}

/**
 * Text from a process (an executable's path, an argument) as it may be shown: control and
 * bidirectional-override characters become `?` — a program can be named anything.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
}

/** `/usr/bin/kubectl (pid 4321)`, `pid 4321`, or `unverified`: how a prompt or a listing names the caller. */
export function callerLabel(caller: CallerInfo | undefined): string {
  if (caller === undefined || !caller.verified) return 'unverified';
  const pid = caller.pid === undefined ? '' : `pid ${caller.pid}`;
  if (caller.exe === undefined) return pid === '' ? 'verified' : pid;
  const exe = printable(caller.exe);
  return pid === '' ? exe : `${exe} (${pid})`;
}
