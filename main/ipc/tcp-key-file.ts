/**
 * The TCP listener's bearer key file as a {@link TcpKeyPort}. The key is read only to put it on
 * the clipboard; it never crosses IPC. Same format as the API server's loader
 * (main/core/api/tcp-auth.ts): 32 random bytes, base64url, one line, mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../core/fs/atomic-write.js';
import type { TcpKeyPort } from './desktop-ports.js';

export function createTcpKeyFile(keyFile: string): TcpKeyPort {
  return {
    async read() {
      try {
        const key = (await readFile(keyFile, 'utf8')).trim();
        return key === '' ? undefined : key;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async regenerate() {
      await writeFileAtomic(keyFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    },
  };
}
