/**
 * Human output of `status`, `account show` and `audit`; their `--json` forms print the API's
 * bodies as they are. Pure functions of the bodies and the current time, so each is
 * unit-tested; nothing here can print a secret because no input type has a field for one.
 */
import { GRANT_TRAITS, isGrant, type GrantTraits } from '../shared/grants.js';
import { describeExpiry, table } from './format.js';
import { escapeForTerminal } from './output-safety.js';

/** The signed-in user, from the ID token or the userinfo endpoint (null fields: not provided). */
export interface IdentityView {
  sub: string;
  username: string | null;
  email: string | null;
}

/** What `status` shows of one account (the API's account detail body). */
export interface StatusView {
  name: string;
  grant: string;
  status: string;
  identity: IdentityView | null;
  /** Epoch seconds. */
  expires_at: number | null;
  id_token_expires_at: number | null;
  /** Absent from brokers before it was added: then the expiry alone tells. */
  access_token?: boolean;
  refresh_token: boolean;
  /** Scopes the current token holds (or the configured ones before a sign-in). */
  scopes: string[];
  configured_scopes: string[];
  last_refresh: { at: number; outcome: 'ok' | 'error'; code?: string; message?: string } | null;
  approval: string;
  git_hosts: string[];
  registries: string[];
  /** How the token is renewed now (issue 15); absent from brokers before it was added. */
  refresh?: 'proactive' | 'on_demand' | 'idle' | 'none';
  /** Epoch seconds of the last hand-out; null when none is known. */
  last_used_at?: number | null;
}

/** One audit entry on the wire: `at` in epoch seconds (fraction allowed). */
export interface AuditView {
  at: number;
  account: string;
  client: string;
  outcome: string;
  code?: string;
  caller?: { verified: boolean; uid?: number; pid?: number; exe?: string };
  kind?: string;
  method?: string;
  host?: string;
  status?: number;
}

/** Statuses that need a person before tokens flow again (`status` exits 3 for them). */
export const NEEDS_ATTENTION: ReadonlySet<string> = new Set(['needs_login', 'needs_secret']);

/** `2025-06-01 09:30:00` in local time. */
export function localTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "3m ago", "2h 5m ago", "just now". */
export function describeAge(epochSeconds: number, nowSeconds: number): string {
  const s = Math.max(0, Math.floor(nowSeconds - epochSeconds));
  if (s < 60) return s < 5 ? 'just now' : `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m ago`;
  return `${Math.floor(h / 24)}d ago`;
}

function expiry(at: number | null, now: number): string {
  if (at === null) return 'no expiry given';
  const relative = describeExpiry(at, now);
  return `${relative} (${localTime(at)})`;
}

function who(identity: IdentityView): string {
  const name = identity.username ?? identity.email ?? identity.sub;
  const email = identity.email !== null && identity.email !== name ? ` <${identity.email}>` : '';
  return `${name}${email}`;
}

/** The headline of one account: signed in as whom, or what to do. */
function headline(a: StatusView): string {
  switch (a.status) {
    case 'needs_login':
      return `✗ Not signed in: run 'token-broker login ${a.name}'`;
    case 'needs_secret':
      return `✗ Client secret missing: printf '%s\\n' "$CLIENT_SECRET" | token-broker account edit ${a.name} --client-secret-stdin`;
    case 'error':
      return `! Last refresh failed${a.last_refresh?.code === undefined ? '' : ` (${a.last_refresh.code})`}; tokens still valid are handed out. If it persists: token-broker login ${a.name}`;
    case 'expired':
      return a.refresh_token
        ? `✓ Token expired; the next request refreshes it${a.identity === null ? '' : ` (signed in as ${who(a.identity)})`}`
        : `✗ Token expired: run 'token-broker login ${a.name}'`;
    default:
      if (a.identity !== null) return `✓ Signed in as ${who(a.identity)}`;
      return traitsOf(a)?.needsPerson === false ? `✓ ${traitsOf(a)?.label ?? a.grant} (no user)` : '✓ Signed in';
  }
}

/** Undefined for a grant this CLI does not know (a newer broker): shown as a person's account. */
function traitsOf(a: StatusView): GrantTraits | undefined {
  return isGrant(a.grant) ? GRANT_TRAITS[a.grant] : undefined;
}

function scopesLine(a: StatusView): string {
  const held = a.scopes.length === 0 ? '(none)' : a.scopes.join(' ');
  const missing = a.configured_scopes.filter((s) => !a.scopes.includes(s));
  const sameSet = missing.length === 0 && a.scopes.length === a.configured_scopes.length;
  if (sameSet) return held;
  const configured = a.configured_scopes.length === 0 ? '(none)' : a.configured_scopes.join(' ');
  return `${held}  (configured: ${configured}${missing.length === 0 ? '' : `; not granted: ${missing.join(' ')}`})`;
}

function accessTokenLine(a: StatusView, nowSeconds: number): string {
  if (a.status === 'needs_login' || a.status === 'needs_secret') return 'none';
  if (a.access_token === false) return traitsOf(a)?.renewal === 'reissue' ? 'none yet (fetched on the first request)' : 'none';
  return expiry(a.expires_at, nowSeconds);
}

/** How the broker renews the token now, and when it was last used (issue 15's idle accounts). */
function refreshLine(a: StatusView, nowSeconds: number): string | undefined {
  const used = a.last_used_at === undefined || a.last_used_at === null ? undefined : describeAge(a.last_used_at, nowSeconds);
  switch (a.refresh) {
    case 'proactive':
      return `before expiry (in use${used === undefined ? '' : `, last used ${used}`})`;
    case 'on_demand':
      return `on demand, when a request needs a fresher token${used === undefined ? '' : ` (last used ${used})`}`;
    case 'idle':
      return `idle (${used === undefined ? 'not used since the broker started' : `last used ${used}`}): refresh token left alone, the next use refreshes`;
    default:
      return undefined;
  }
}

/** `status` for people: one block per account, like `gh auth status`. */
export function formatStatus(accounts: readonly StatusView[], nowSeconds: number): string {
  if (accounts.length === 0) return "No accounts yet. Add one with 'token-broker account add NAME ...'.\n";
  const blocks = accounts.map((a) => {
    const rows: [string, string][] = [
      ['status', a.status],
      ['access token', accessTokenLine(a, nowSeconds)],
    ];
    if (a.id_token_expires_at !== null) rows.push(['ID token', expiry(a.id_token_expires_at, nowSeconds)]);
    if (traitsOf(a)?.renewal !== 'reissue') rows.push(['refresh token', a.refresh_token ? 'held' : 'none']);
    rows.push(['scopes', scopesLine(a)]);
    if (a.last_refresh !== null) {
      const outcome =
        a.last_refresh.outcome === 'ok'
          ? 'ok'
          : `failed${a.last_refresh.code === undefined ? '' : ` (${a.last_refresh.code}${a.last_refresh.message === undefined ? '' : `: ${a.last_refresh.message}`})`}`;
      rows.push(['last refresh', `${outcome}, ${describeAge(a.last_refresh.at, nowSeconds)}`]);
    }
    const refresh = refreshLine(a, nowSeconds);
    if (refresh !== undefined) rows.push(['refresh', refresh]);
    rows.push(['approval', a.approval === 'ask' ? 'ask (each hand-out needs approval in the app)' : 'auto']);
    if (a.git_hosts.length > 0) rows.push(['git hosts', a.git_hosts.join(' ')]);
    if (a.registries.length > 0) rows.push(['registries', a.registries.join(' ')]);
    const width = Math.max(...rows.map(([k]) => k.length));
    return [`${a.name} (${a.grant})`, `  ${headline(a)}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

/** Flattens a JSON value into `path  value` pairs (`provider.issuer`, `git.hosts`). */
function flatten(value: unknown, path: string, out: [string, string][]): void {
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) {
      out.push([path, value.length === 0 ? '(none)' : value.map(String).join(' ')]);
    } else {
      value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
    }
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) out.push([path, '(none)']);
    for (const [key, v] of entries) flatten(v, path === '' ? key : `${path}.${key}`, out);
  } else {
    out.push([path, value === undefined || value === null ? '-' : String(value)]);
  }
}

/**
 * `account show` for people: every non-secret setting as `key  value` lines (the keys are
 * config.json's, so what you see is what `account edit` and the schema call it), then which
 * secrets the vault holds — only whether they are there.
 */
export function formatAccountShow(config: Record<string, unknown>, secrets: Record<string, boolean>): string {
  const rows: [string, string][] = [];
  flatten(config, '', rows);
  for (const [name, held] of Object.entries(secrets)) rows.push([`secret.${name}`, held ? 'stored in the vault' : 'not stored']);
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

function auditDetail(e: AuditView): string {
  const parts: string[] = [];
  if (e.code !== undefined) parts.push(e.code);
  if (e.kind !== undefined && e.kind !== 'token') parts.push(e.kind);
  if (e.method !== undefined || e.host !== undefined) parts.push(`${e.method ?? ''} ${e.host ?? ''}`.trim());
  if (e.status !== undefined) parts.push(String(e.status));
  return parts.join(' ');
}

function auditCaller(e: AuditView): string {
  if (e.caller === undefined) return e.client;
  const exe = e.caller.exe === undefined ? '' : ` ${e.caller.exe}`;
  const pid = e.caller.pid === undefined ? '' : ` pid ${e.caller.pid}`;
  // "unverified": a TCP (or Windows) caller, whose name is only its own claim (issue 10 item 4).
  return `${e.client} (${e.caller.verified ? 'verified' : 'unverified'}${exe}${pid})`;
}

/** `audit` for people: oldest first (a log reads downwards), local times. */
export function formatAudit(entries: readonly AuditView[]): string {
  const rows = [['TIME', 'ACCOUNT', 'CLIENT', 'OUTCOME', 'DETAIL']];
  for (const e of [...entries].sort((a, b) => a.at - b.at)) {
    // Client names and executables come from other programs: shown, never interpreted by the terminal.
    rows.push([localTime(Math.floor(e.at)), escapeForTerminal(e.account), escapeForTerminal(auditCaller(e)), e.outcome, auditDetail(e)]);
  }
  return table(rows);
}
