/**
 * The set of URLs the broker itself built: authorization URLs (RFC 6749 §4.1.1) and device
 * verification URIs (RFC 8628 §3.2) seen in sign-in progress. `shell.openExternal` is allowed
 * only for these, so a compromised renderer cannot make the app open an arbitrary URL.
 */
import type { SignInProgress } from '../core/broker/types.js';
import { isHttpUrl as isWebUrl } from '../core/oauth/assert.js';

export interface BrokerUrlRegistry {
  /** Records the URL(s) a sign-in progress step carries. */
  rememberProgress(progress: SignInProgress): void;
  /** Records a URL handed to the broker's browser opener (the broker built it). */
  rememberBuilt(account: string | undefined, url: string): void;
  isBrokerUrl(url: string): boolean;
  /** The URL the user should open for this account's running sign-in, if any. */
  urlFor(account: string): string | undefined;
  forget(account: string): void;
}

/** Only web URLs may reach the system browser; anything else (file:, javascript:, custom schemes) is refused. */
export { isWebUrl };

/** Bounded so a long-running app does not collect URLs forever. */
const MAX_URLS = 200;

export function createBrokerUrlRegistry(): BrokerUrlRegistry {
  const urls = new Set<string>();
  const byAccount = new Map<string, string>();

  const remember = (account: string | undefined, url: string): void => {
    if (!isWebUrl(url)) return;
    urls.delete(url);
    urls.add(url);
    while (urls.size > MAX_URLS) {
      const oldest = urls.values().next().value;
      if (oldest === undefined) break;
      urls.delete(oldest);
    }
    if (account !== undefined) byAccount.set(account, url);
  };

  return {
    rememberProgress(progress) {
      if (progress.phase === 'waiting_for_browser') remember(progress.account, progress.url);
      if (progress.phase === 'device_code') {
        remember(progress.account, progress.verificationUri);
        // The complete URI carries the user code, so the user need not type it (RFC 8628 §3.3.1).
        if (progress.verificationUriComplete !== undefined) remember(progress.account, progress.verificationUriComplete);
      }
      if (progress.phase === 'done' || progress.phase === 'cancelled' || progress.phase === 'failed') {
        byAccount.delete(progress.account);
      }
    },
    rememberBuilt: remember,
    isBrokerUrl: (url) => urls.has(url),
    urlFor: (account) => byAccount.get(account),
    forget(account) {
      byAccount.delete(account);
    },
  };
}
