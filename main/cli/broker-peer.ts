/**
 * Before the CLI sends a client secret or a password, or trusts a token, it checks that the
 * broker on the other end of the socket runs as the same user (issue 10). A socket path can point
 * where another user listens — a directory they control above it, a `TOKEN_BROKER_SOCKET` in
 * /tmp — and that user would collect every secret and hand out tokens of their choosing.
 *
 * The kernel says who listens: SO_PEERCRED (Linux) / getpeereid (macOS) on the connected socket,
 * read once per connection through core/api/peer-credentials.ts (koffi's prebuilt binary, ~2 ms),
 * or by the blocking exchange of the CLI's bins (blocking-exchange.ts) before it sends anything.
 * Where koffi cannot load, the socket file itself stands in: it is owned by whoever created it,
 * and the directories above it must be safe from other users (fs/trusted-path.ts) so nobody can
 * swap it between the check and the connect. Windows named pipes cannot be checked (docs/security.md).
 */
import type { Socket } from 'node:net';
import { peerCredentialReader, type RawPeerCredentials } from '../core/api/peer-credentials.js';
import { isWindowsPipe } from '../core/socket-path.js';
import { CliError, EXIT } from './exit.js';

function refuse(socketPath: string, why: string): CliError {
  return new CliError(
    `refusing to talk to the broker on ${socketPath}: ${why}. Nothing was sent. Someone else may be listening there — check TOKEN_BROKER_SOCKET (and TOKEN_BROKER_HOME).`,
    EXIT.error,
    'SOCKET_INSECURE',
  );
}

/**
 * Throws a CliError (exit 1, SOCKET_INSECURE) unless `peer` — what the kernel said of the listener on
 * `socketPath` (undefined: it said nothing) — runs as this user. For the CLI's blocking exchange,
 * which reads the peer itself.
 */
export function checkBrokerPeer(peer: RawPeerCredentials | undefined, socketPath: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  if (peer === undefined) throw refuse(socketPath, 'the kernel did not say who runs it');
  if (peer.uid !== uid) throw refuse(socketPath, `it runs as uid ${peer.uid}, not as you (uid ${uid})`);
}

/**
 * Resolves when the process listening on the connected `socket` runs as this user; rejects with a
 * CliError (exit 1, SOCKET_INSECURE) otherwise. Synchronous work on the hot path; the fallback
 * without koffi is loaded only where it is needed.
 */
export async function assertBrokerIsOurs(socket: Socket, socketPath: string): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined || isWindowsPipe(socketPath)) return;
  const reader = peerCredentialReader();
  if (reader.supported) {
    const peer = reader.describe(socket);
    if (!peer.verified) throw refuse(socketPath, `the kernel did not say who runs it (${peer.reason})`);
    if (peer.uid !== uid) throw refuse(socketPath, `it runs as uid ${peer.uid}, not as you (uid ${uid})`);
    return;
  }
  const { socketOwnerProblem } = await import('./broker-peer-fallback.js');
  const problem = socketOwnerProblem(socketPath, uid);
  if (problem !== undefined) throw refuse(socketPath, problem);
}
