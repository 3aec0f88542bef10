/**
 * `shell.openExternal` behind a guard: only http(s) URLs the broker itself built (authorization
 * and verification URLs) may reach the system browser (Electron checklist: do not use
 * openExternal with untrusted content).
 */
import { BrokerError } from '../core/errors.js';
import { isWebUrl, type BrokerUrlRegistry } from '../ipc/broker-urls.js';

export function createGuardedOpener(urls: BrokerUrlRegistry, openExternal: (url: string) => Promise<void>): (url: string) => Promise<void> {
  return async (url) => {
    if (!isWebUrl(url) || !urls.isBrokerUrl(url)) {
      throw new BrokerError('DENIED', 'Only sign-in URLs built by the broker can be opened');
    }
    await openExternal(url);
  };
}
