import { describe, expect, it } from 'vitest';
import type { AccountView } from '../../../main/ipc/contract.js';
import {
  accountTrayState,
  buildTrayModel,
  formatRemaining,
  MAX_MENU_ACCOUNTS,
  type TrayMenuItem,
} from '../../../main/electron/tray-model.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

const account = (name: string, extra: Partial<AccountView> = {}): AccountView => ({
  name,
  grant: 'authorization_code',
  status: 'ok',
  scopes: [],
  clientId: 'client',
  clientAuth: 'none',
  dpop: 'auto',
  senderConstrained: false,
  approval: 'auto',
  allowLegacy: false,
  hasRefreshToken: true,
  refreshPolicy: 'auto',
  refreshMode: 'proactive',
  ...extra,
});

const labels = (items: TrayMenuItem[]): string[] => items.map((item) => (item.kind === 'separator' ? '---' : item.label));

describe('buildTrayModel', () => {
  it('no accounts: all good, says so, still offers Open and Quit', () => {
    const model = buildTrayModel([], NOW);
    expect(model.state).toBe('all-good');
    expect(model.title).toBe('');
    expect(model.tooltip).toBe('Token Broker — no accounts yet');
    expect(labels(model.menu)).toEqual(['No accounts yet', '---', 'Open Token Broker', 'Quit']);
  });

  it('all good: tooltip and title show the soonest expiry', () => {
    const model = buildTrayModel(
      [account('gitlab', { expiresAt: NOW + 50 * MIN }), account('github', { expiresAt: NOW + 12 * MIN + 30_000 })],
      NOW,
    );
    expect(model.state).toBe('all-good');
    expect(model.tooltip).toBe('Token Broker\ngithub: expires in 12 min');
    expect(model.title).toBe('12m');
    expect(labels(model.menu)).toEqual(['github — expires in 12 min', 'gitlab — expires in 50 min', '---', 'Open Token Broker', 'Quit']);
  });

  it('expiring: something expires within 5 minutes', () => {
    const model = buildTrayModel([account('a', { expiresAt: NOW + 5 * MIN }), account('b', { expiresAt: NOW + 3 * 3_600_000 })], NOW);
    expect(model.state).toBe('expiring');
    expect(model.title).toBe('5m');
    expect(accountTrayState(account('c', { expiresAt: NOW + 5 * MIN + 1 }), NOW)).toBe('all-good');
    expect(buildTrayModel([account('d', { expiresAt: NOW + 30_000 })], NOW).title).toBe('<1m');
  });

  it('attention: expired or needs sign-in', () => {
    const expired = buildTrayModel([account('a', { expiresAt: NOW - 1 }), account('b', { expiresAt: NOW + 60 * MIN })], NOW);
    expect(expired.state).toBe('attention');
    expect(expired.title).toBe('!');
    expect(labels(expired.menu)[0]).toBe('a — expired');
    const login = buildTrayModel([account('web', { status: 'needs_login' })], NOW);
    expect(login.state).toBe('attention');
    expect(login.tooltip).toBe('Token Broker\nweb: needs sign-in');
    expect(labels(login.menu)[0]).toBe('web — needs sign-in');
    expect(buildTrayModel([account('x', { status: 'expired' })], NOW).state).toBe('attention');
  });

  it('error outranks everything and names the code', () => {
    const model = buildTrayModel(
      [
        account('a', { status: 'needs_login' }),
        account('b', { status: 'error', lastError: { code: 'PROVIDER_UNREACHABLE', message: 'down' } }),
        account('c', { expiresAt: NOW + MIN }),
      ],
      NOW,
    );
    expect(model.state).toBe('error');
    expect(labels(model.menu).slice(0, 3)).toEqual(['b — error: PROVIDER_UNREACHABLE', 'a — needs sign-in', 'c — expires in 1 min']);
    expect(model.tooltip).toContain('2 accounts need attention');
  });

  it('gives each account Refresh now, Sign in again and Copy access token', () => {
    const [first, second] = buildTrayModel(
      [account('ok', { expiresAt: NOW + 20 * MIN }), account('web', { status: 'needs_login' })],
      NOW,
    ).menu;
    expect(first).toMatchObject({ kind: 'account', account: 'web' });
    expect(second).toMatchObject({ kind: 'account', account: 'ok' });
    if (first?.kind !== 'account' || second?.kind !== 'account') throw new Error('unexpected menu');
    expect(second.submenu).toEqual([
      { kind: 'action', label: 'Refresh now', action: { type: 'refresh', account: 'ok' }, enabled: true },
      { kind: 'action', label: 'Sign in again', action: { type: 'sign-in', account: 'ok' }, enabled: true },
      { kind: 'action', label: 'Copy access token', action: { type: 'copy-token', account: 'ok' }, enabled: true },
    ]);
    // Nothing to refresh or copy before signing in.
    expect(first.submenu.map((item) => item.kind === 'action' && item.enabled)).toEqual([false, true, false]);
  });

  it('caps a long list with "N more…" that opens the window', () => {
    const many = Array.from({ length: 40 }, (_, i) => account(`acct-${String(i).padStart(2, '0')}`, { expiresAt: NOW + (i + 10) * MIN }));
    const model = buildTrayModel(many, NOW);
    const accounts = model.menu.filter((item) => item.kind === 'account');
    expect(accounts).toHaveLength(MAX_MENU_ACCOUNTS);
    expect(accounts[0]).toMatchObject({ account: 'acct-00' });
    const more = model.menu[MAX_MENU_ACCOUNTS];
    expect(more).toEqual({ kind: 'action', label: '25 more…', action: { type: 'open' }, enabled: true });
    expect(labels(model.menu).slice(-3)).toEqual(['---', 'Open Token Broker', 'Quit']);
    expect(model.tooltip.length).toBeLessThanOrEqual(127);
  });

  it('puts urgent accounts in the capped list even if they sort last by name', () => {
    const many = Array.from({ length: 20 }, (_, i) => account(`a${String(i).padStart(2, '0')}`, { expiresAt: NOW + 60 * MIN }));
    many.push(account('zz-broken', { status: 'needs_login' }));
    const model = buildTrayModel(many, NOW);
    expect(model.menu[0]).toMatchObject({ account: 'zz-broken' });
  });

  it('is pure: same input, same model', () => {
    const accounts = [account('a', { expiresAt: NOW + 7 * MIN })];
    expect(buildTrayModel(accounts, NOW)).toEqual(buildTrayModel(accounts, NOW));
  });

  it('formats remaining time coarsely', () => {
    expect(formatRemaining(59_999)).toBe('<1 min');
    expect(formatRemaining(119 * MIN)).toBe('119 min');
    expect(formatRemaining(5 * 60 * MIN)).toBe('5 h');
    expect(formatRemaining(72 * 60 * MIN)).toBe('3 d');
    expect(buildTrayModel([account('a')], NOW).menu[0]).toMatchObject({ label: 'a — signed in' });
  });
});

describe('accounts that hand out their ID token', () => {
  it('count whichever of the access and ID token expires first', () => {
    const kube = account('kube', { expiresAt: NOW + 50 * MIN, idTokenExpiresAt: NOW + 3 * MIN, usesIdToken: true });
    expect(accountTrayState(kube, NOW)).toBe('expiring');
    const model = buildTrayModel([kube, account('other', { expiresAt: NOW + 20 * MIN })], NOW);
    expect(model.state).toBe('expiring');
    expect(model.title).toBe('3m');
    expect(model.tooltip).toContain('kube: expires in 3 min');
    expect(labels(model.menu)[0]).toBe('kube — expires in 3 min');
    expect(accountTrayState({ ...kube, idTokenExpiresAt: NOW - 1 }, NOW)).toBe('attention');
    const { expiresAt: _none, ...neverExpiring } = kube;
    expect(accountTrayState(neverExpiring, NOW)).toBe('expiring');
  });

  it('ignore the ID token of accounts that only hand out access tokens', () => {
    const plain = account('plain', { expiresAt: NOW + 50 * MIN, idTokenExpiresAt: NOW + 3 * MIN });
    expect(accountTrayState(plain, NOW)).toBe('all-good');
    expect(buildTrayModel([plain], NOW).title).toBe('50m');
  });
});
