/**
 * Ports: the outside world as the core sees it. The core takes these as parameters; Electron,
 * the headless daemon and the tests each pass their own implementation.
 */

/** Wall-clock time in epoch milliseconds. Tests pass a fake. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A keychain item store (the shape of keytar). Implementations throw
 * `BrokerError('KEYCHAIN_UNAVAILABLE')` when no keychain can be reached.
 */
export interface SecretStore {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

/** Opens a URL the broker built (authorization or verification URL) in the user's browser. */
export type BrowserOpener = (url: string) => Promise<void>;

/** A log sink. Callers format lines as `[module] message`; nothing secret is ever passed in. */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
