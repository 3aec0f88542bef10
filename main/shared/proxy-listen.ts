/**
 * Where an authenticating proxy listens on TCP: a loopback address and a port, written
 * `127.0.0.1:PORT`, `[::1]:PORT` or `localhost:PORT` (`localhost` means 127.0.0.1). Shared by the
 * config model, the CLI's `--listen` and the API.
 */

/** A parsed `--listen` value. */
export interface ListenAddress {
  host: '127.0.0.1' | '::1';
  port: number;
}

const LISTEN = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/;

/** {@link parseListenAddress}'s rule in words, for messages. */
export const LISTEN_ADDRESS_RULE = 'a loopback address and port: 127.0.0.1:PORT, localhost:PORT or [::1]:PORT (PORT 0 picks a free one)';

/** The loopback address and port, or undefined when the value is anything else. */
export function parseListenAddress(value: string): ListenAddress | undefined {
  const match = LISTEN.exec(value);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  return { host: match[1] === '[::1]' ? '::1' : '127.0.0.1', port };
}
