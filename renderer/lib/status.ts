import type { AccountView } from '../../main/ipc/contract.js';
import { CLIENT_AUTH_METHODS, CLIENT_AUTH_TRAITS } from '../../main/shared/client-auth.js';
import { GRANT_TRAITS, GRANTS } from '../../main/shared/grants.js';
import { DEFAULT_IDLE_AFTER_HOURS } from '../../main/shared/accounts.js';

/** What the UI shows: the broker's status, with "expiring" and live expiry derived from `now`. */
export type DisplayStatus = 'ok' | 'expiring' | 'expired' | 'needs_login' | 'needs_secret' | 'error';

/** Tokens expiring within this window are shown as "expiring" (the tray uses the same 5 minutes). */
export const EXPIRING_WINDOW_MS = 5 * 60 * 1000;

export const STATUS_LABELS: Record<DisplayStatus, string> = {
  ok: 'OK',
  expiring: 'Expiring',
  expired: 'Expired',
  needs_login: 'Needs sign-in',
  needs_secret: 'Needs secret',
  error: 'Error',
};

/**
 * The status to show for an account at `now`. The broker reports status when something changes;
 * between events, time alone moves an "ok" token to "expiring" and then "expired".
 */
export function displayStatus(account: Pick<AccountView, 'status' | 'expiresAt'>, now: number): DisplayStatus {
  if (account.status !== 'ok') return account.status;
  if (account.expiresAt === undefined) return 'ok';
  const left = account.expiresAt - now;
  if (left <= 0) return 'expired';
  if (left <= EXPIRING_WINDOW_MS) return 'expiring';
  return 'ok';
}

/** Grants that need a person to obtain the first token (and to recover from "needs sign-in"). */
export function isInteractiveGrant(grant: AccountView['grant']): boolean {
  return GRANT_TRAITS[grant].needsPerson;
}

export const GRANT_LABELS = Object.fromEntries(GRANTS.map((grant) => [grant, GRANT_TRAITS[grant].label])) as Readonly<
  Record<AccountView['grant'], string>
>;

export const CLIENT_AUTH_LABELS = Object.fromEntries(
  CLIENT_AUTH_METHODS.map((method) => [method, CLIENT_AUTH_TRAITS[method].label]),
) as Readonly<Record<AccountView['clientAuth'], string>>;

/** The proactive refresh policy as the window words it. */
export function refreshPolicyLabel(account: Pick<AccountView, 'refreshPolicy' | 'idleAfterHours'>): string {
  switch (account.refreshPolicy) {
    case 'always':
      return 'Always before expiry';
    case 'never':
      return 'Only when a script asks';
    case 'auto':
      return `Before expiry while used (idle after ${account.idleAfterHours ?? DEFAULT_IDLE_AFTER_HOURS} h without use)`;
  }
}

/** What the broker does about the token now (the account's RefreshMode), in words. */
export function refreshModeLabel(account: Pick<AccountView, 'refreshMode'>): string {
  switch (account.refreshMode) {
    case 'proactive':
      return 'Refreshed before it expires';
    case 'on_demand':
      return 'Refreshed when a script needs a fresher token';
    case 'idle':
      return 'Idle: not used for a while, so its refresh token is left alone; the next use refreshes it';
    case 'none':
      return 'Nothing to refresh';
  }
}
