/**
 * What the tray shows, as a pure function of (accounts, now): icon state, tooltip, macOS title
 * and menu. No electron import here, so it is tested anywhere; tray.ts turns it into a Menu.
 */
import type { AccountView } from '../ipc/contract.js';

/** Icon states, most severe last in {@link STATE_SEVERITY}. */
export type TrayState = 'all-good' | 'expiring' | 'attention' | 'error';
export const TRAY_STATES: readonly TrayState[] = ['all-good', 'expiring', 'attention', 'error'];

/** "Something expires soon": within 5 minutes, as the window counts it too (main/electron/README.md, "Tray states"). */
export const EXPIRING_WITHIN_MS = 5 * 60_000;
/** Accounts listed in the menu before the rest is summarised as "N more…". */
export const MAX_MENU_ACCOUNTS = 15;

export type TrayAction =
  | { type: 'refresh'; account: string }
  | { type: 'sign-in'; account: string }
  | { type: 'copy-token'; account: string }
  | { type: 'open' }
  | { type: 'quit' };

export type TrayMenuItem =
  | { kind: 'action'; label: string; action: TrayAction; enabled: boolean }
  | { kind: 'account'; label: string; account: string; state: TrayState; submenu: TrayMenuItem[] }
  | { kind: 'label'; label: string }
  | { kind: 'separator' };

export interface TrayModel {
  state: TrayState;
  tooltip: string;
  /** Short text next to the icon on macOS, e.g. "12m"; empty when nothing is counting down. */
  title: string;
  menu: TrayMenuItem[];
}

const STATE_SEVERITY: Record<TrayState, number> = { 'all-good': 0, expiring: 1, attention: 2, error: 3 };

/**
 * When the account's credential expires: the access token's, or for an account that hands out
 * its ID token (kubectl, cloud federation), whichever of the two expires first.
 */
export function effectiveExpiresAt(account: AccountView): number | undefined {
  const idToken = account.usesIdToken === true ? account.idTokenExpiresAt : undefined;
  if (idToken === undefined) return account.expiresAt;
  return account.expiresAt === undefined ? idToken : Math.min(account.expiresAt, idToken);
}

/** The state one account puts the tray in. */
export function accountTrayState(account: AccountView, now: number): TrayState {
  if (account.status === 'error') return 'error';
  if (account.status === 'needs_login' || account.status === 'needs_secret' || account.status === 'expired') return 'attention';
  const expiresAt = effectiveExpiresAt(account);
  if (expiresAt !== undefined) {
    if (expiresAt <= now) return 'attention';
    if (expiresAt - now <= EXPIRING_WITHIN_MS) return 'expiring';
  }
  return 'all-good';
}

/** "12 min", "<1 min", "3 h", "2 d": coarse on purpose, the menu is refreshed every 30 s. */
export function formatRemaining(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return '<1 min';
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

/** The macOS menu-bar title: "12m", "3h", "2d"; "<1m" in the last minute. */
export function formatShortRemaining(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return '<1m';
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** What the account's line says after its name. */
export function describeAccount(account: AccountView, now: number): string {
  if (account.status === 'needs_login') return 'needs sign-in';
  if (account.status === 'needs_secret') return 'needs its client secret';
  if (account.status === 'error') return account.lastError === undefined ? 'error' : `error: ${account.lastError.code}`;
  const expiresAt = effectiveExpiresAt(account);
  if (expiresAt === undefined) return account.status === 'expired' ? 'expired' : 'signed in';
  if (expiresAt <= now) return 'expired';
  return `expires in ${formatRemaining(expiresAt - now)}`;
}

function worst(states: Iterable<TrayState>): TrayState {
  let result: TrayState = 'all-good';
  for (const state of states) if (STATE_SEVERITY[state] > STATE_SEVERITY[result]) result = state;
  return result;
}

/** Most urgent first: worst state, then soonest expiry, then name (stable and predictable). */
function byUrgency(now: number) {
  return (a: AccountView, b: AccountView): number => {
    const severity = STATE_SEVERITY[accountTrayState(b, now)] - STATE_SEVERITY[accountTrayState(a, now)];
    if (severity !== 0) return severity;
    const expiry = (effectiveExpiresAt(a) ?? Number.POSITIVE_INFINITY) - (effectiveExpiresAt(b) ?? Number.POSITIVE_INFINITY);
    if (expiry !== 0 && !Number.isNaN(expiry)) return expiry;
    return a.name.localeCompare(b.name);
  };
}

function accountItem(account: AccountView, now: number): TrayMenuItem {
  const signedIn = account.status !== 'needs_login';
  return {
    kind: 'account',
    label: `${account.name} — ${describeAccount(account, now)}`,
    account: account.name,
    state: accountTrayState(account, now),
    submenu: [
      { kind: 'action', label: 'Refresh now', action: { type: 'refresh', account: account.name }, enabled: signedIn },
      { kind: 'action', label: 'Sign in again', action: { type: 'sign-in', account: account.name }, enabled: true },
      { kind: 'action', label: 'Copy access token', action: { type: 'copy-token', account: account.name }, enabled: signedIn },
    ],
  };
}

function tooltipFor(accounts: readonly AccountView[], now: number): string {
  if (accounts.length === 0) return 'Token Broker — no accounts yet';
  const lines = ['Token Broker'];
  const attention = accounts.filter((a) => STATE_SEVERITY[accountTrayState(a, now)] >= STATE_SEVERITY.attention);
  if (attention.length === 1 && attention[0] !== undefined) lines.push(`${attention[0].name}: ${describeAccount(attention[0], now)}`);
  if (attention.length > 1) lines.push(`${attention.length} accounts need attention`);
  const soonest = soonestExpiring(accounts, now);
  if (soonest !== undefined) lines.push(`${soonest.account.name}: ${describeAccount(soonest.account, now)}`);
  if (lines.length === 1) lines.push(`${accounts.length} account${accounts.length === 1 ? '' : 's'}, all signed in`);
  return truncateTooltip(lines.join('\n'));
}

/** Windows truncates tray tooltips at 127 characters. */
function truncateTooltip(text: string): string {
  return text.length <= 127 ? text : `${text.slice(0, 126)}…`;
}

function soonestExpiring(accounts: readonly AccountView[], now: number): { account: AccountView; expiresAt: number } | undefined {
  let soonest: { account: AccountView; expiresAt: number } | undefined;
  for (const account of accounts) {
    const expiresAt = effectiveExpiresAt(account);
    if (account.status !== 'ok' || expiresAt === undefined || expiresAt <= now) continue;
    if (soonest === undefined || expiresAt < soonest.expiresAt) soonest = { account, expiresAt };
  }
  return soonest;
}

/**
 * Builds the tray's model. Pure: same accounts, problems and time, same model. `problems` are
 * broker-wide troubles a person must see (the TCP listener's port taken by another program): each
 * puts the tray in the attention state and leads the menu and the tooltip.
 */
export function buildTrayModel(accounts: readonly AccountView[], now: number, problems: readonly string[] = []): TrayModel {
  const state = worst([...accounts.map((account) => accountTrayState(account, now)), ...problems.map((): TrayState => 'attention')]);
  const soonest = soonestExpiring(accounts, now);
  const title =
    state === 'attention' || state === 'error' ? '!' : soonest === undefined ? '' : formatShortRemaining(soonest.expiresAt - now);

  const sorted = [...accounts].sort(byUrgency(now));
  const shown = sorted.slice(0, MAX_MENU_ACCOUNTS);
  const hidden = sorted.length - shown.length;
  const menu: TrayMenuItem[] = [];
  for (const problem of problems) menu.push({ kind: 'action', label: `⚠ ${problem}`, action: { type: 'open' }, enabled: true });
  if (problems.length > 0) menu.push({ kind: 'separator' });
  if (accounts.length === 0) menu.push({ kind: 'label', label: 'No accounts yet' });
  for (const account of shown) menu.push(accountItem(account, now));
  if (hidden > 0) menu.push({ kind: 'action', label: `${hidden} more…`, action: { type: 'open' }, enabled: true });
  menu.push(
    { kind: 'separator' },
    { kind: 'action', label: 'Open Token Broker', action: { type: 'open' }, enabled: true },
    { kind: 'action', label: 'Quit', action: { type: 'quit' }, enabled: true },
  );
  const tooltip = problems[0] === undefined ? tooltipFor(accounts, now) : truncateTooltip(`Token Broker\n${problems[0]}`);
  return { state, tooltip, title, menu };
}
