/**
 * Where koffi cannot load, the CLI's check of the broker's user falls back to the socket file: it
 * is owned by whoever created it (bound it), and the directories above it must be safe from other
 * users (StrictModes, fs/trusted-path.ts), so nobody can swap it between this check and the
 * connect. Loaded only on that path.
 */
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { findUntrustedAncestor } from '../core/fs/trusted-path.js';

/** Why the socket at `socketPath` may not be this user's broker; undefined when it is. */
export function socketOwnerProblem(socketPath: string, uid: number): string | undefined {
  let owner: number;
  try {
    owner = lstatSync(socketPath).uid;
  } catch {
    return 'its socket file cannot be checked';
  }
  if (owner !== uid) return `its socket belongs to uid ${owner}, not to you (uid ${uid})`;
  return findUntrustedAncestor(dirname(socketPath), uid)?.reason;
}
