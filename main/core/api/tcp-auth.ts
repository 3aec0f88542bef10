/**
 * Guards for the optional loopback TCP listener. Unlike the Unix socket, any local process (and
 * any web page, through the browser) can reach a TCP port, so every request must carry the
 * bearer key from a 0600 file, and browser-originated requests are turned away.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { BrokerError } from '../errors.js';

/**
 * Reads the API key file, creating it (32 random bytes, base64url, mode 0600) when missing.
 * A key file readable by others is refused: the key would no longer be a secret.
 */
export async function loadOrCreateApiKey(keyFile: string): Promise<string> {
  try {
    await writeFile(keyFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (process.platform !== 'win32') {
    const info = await stat(keyFile);
    if ((info.mode & 0o077) !== 0) {
      throw new BrokerError('SOCKET_INSECURE', `The API key file ${keyFile} is readable by other users. Run: chmod 600 '${keyFile}'`);
    }
  }
  const key = (await readFile(keyFile, 'utf8')).trim();
  if (key.length < 16) {
    throw new BrokerError(
      'CONFIG_INVALID',
      `The API key file ${keyFile} holds no usable key (at least 16 characters). Delete it to get a new one.`,
    );
  }
  return key;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Returns a checker for `Authorization: Bearer <key>`. Both sides are hashed first so the
 * comparison is constant-time over equal lengths whatever the caller sends.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6750.html#section-2.1 RFC 6750 §2.1}
 */
export function createBearerCheck(key: string): (authorization: string | undefined) => boolean {
  const expected = digest(key);
  return (authorization) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    const presented = digest(match?.[1] ?? '');
    // Always compare, even without a header, so timing says nothing about what was missing.
    return timingSafeEqual(presented, expected) && match !== null;
  };
}

/**
 * DNS rebinding defence: a page on evil.example that re-points its name at 127.0.0.1 still sends
 * `Host: evil.example`. Only the literal loopback names with our port pass.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}
