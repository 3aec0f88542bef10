import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBrokerStore } from '../../../renderer/store/create-broker-store.js';
import { selectFilteredAudit } from '../../../renderer/store/selectors.js';
import { accountView, FakeBroker } from '../support/fake-api.js';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createBrokerStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads everything on connect and stays live through events', async () => {
    let now = 1_000_000;
    const fake = new FakeBroker({
      now: () => now,
      accounts: [accountView({ name: 'a' })],
      audit: [{ at: 1, account: 'a', client: 'curl', outcome: 'granted' }],
    });
    const store = createBrokerStore(fake.api, { now: () => now, tickMs: 0 });
    const disconnect = store.getState().connect();
    await flush();
    const state = store.getState();
    expect(state.accounts.map((a) => a.name)).toEqual(['a']);
    expect(state.accountsLoaded).toBe(true);
    expect(state.presets.length).toBeGreaterThan(5);
    expect(state.settings?.socketPath).toContain('broker.sock');
    expect(state.version).toBe('0.1.0');
    expect(state.audit).toHaveLength(1);

    fake.emit('accountsChanged', [accountView({ name: 'a' }), accountView({ name: 'b', status: 'needs_login' })]);
    expect(store.getState().accounts.map((a) => a.name)).toEqual(['a', 'b']);

    fake.emit('signInProgress', { account: 'b', phase: 'waiting_for_browser', url: 'http://127.0.0.1/x' });
    expect(store.getState().signIns.b?.phase).toBe('waiting_for_browser');

    fake.emit('approvalRequested', { id: 'r1', account: 'a', client: 'kubectl', requestedAt: now, expiresAt: now + 60_000 });
    fake.emit('approvalRequested', { id: 'r1', account: 'a', client: 'kubectl', requestedAt: now, expiresAt: now + 60_000 });
    expect(store.getState().approvals).toHaveLength(1);
    fake.emit('approvalResolved', { id: 'r1' });
    expect(store.getState().approvals).toHaveLength(0);

    fake.emit('auditAppended', { at: 2, account: 'b', client: 'git', outcome: 'denied', code: 'DENIED' });
    expect(store.getState().audit[0]?.client).toBe('git');

    now += 5000;
    store.getState().tick();
    expect(store.getState().now).toBe(now);

    disconnect();
    expect(fake.listenerCount('accountsChanged')).toBe(0);
    expect(fake.listenerCount('auditAppended')).toBe(0);
  });

  it('advances now on its interval so countdowns re-render', async () => {
    vi.useFakeTimers();
    let now = 5_000;
    const fake = new FakeBroker({ now: () => now });
    const store = createBrokerStore(fake.api, { now: () => now, tickMs: 1000 });
    const disconnect = store.getState().connect();
    now = 6_000;
    vi.advanceTimersByTime(1000);
    expect(store.getState().now).toBe(6_000);
    disconnect();
    now = 9_000;
    vi.advanceTimersByTime(3000);
    expect(store.getState().now).toBe(6_000);
  });

  it('turns a failed sign-in call into a failed phase even without events', async () => {
    const fake = new FakeBroker({ accounts: [accountView({ name: 'a', status: 'needs_login' })] });
    fake.failures.set('signIn', { code: 'OAUTH_ERROR', message: 'denied', oauthError: 'access_denied' });
    const store = createBrokerStore(fake.api, { tickMs: 0 });
    await store.getState().startSignIn('a');
    const progress = store.getState().signIns.a;
    expect(progress?.phase).toBe('failed');
  });

  it('announces copy with the clipboard clearing time and reports errors', async () => {
    const now = 50_000;
    const fake = new FakeBroker({ now: () => now, accounts: [accountView({ name: 'a' })] });
    const store = createBrokerStore(fake.api, { now: () => now, tickMs: 0 });
    await store.getState().copyToken('a');
    expect(store.getState().announcement?.message).toBe('Copied — clipboard clears in 30 s');
    fake.failures.set('refresh', { code: 'PROVIDER_UNREACHABLE', message: 'connect ECONNREFUSED' });
    expect(await store.getState().refreshAccount('a')).toBe(false);
    expect(store.getState().announcement).toMatchObject({ tone: 'error', message: expect.stringContaining('could not be reached') });
    expect(store.getState().busy).toEqual({});
  });

  it('filters the audit log by account and client', () => {
    const fake = new FakeBroker();
    const store = createBrokerStore(fake.api, { tickMs: 0 });
    store.setState({
      audit: [
        { at: 3, account: 'a', client: 'curl', outcome: 'granted' },
        { at: 2, account: 'b', client: 'curl', outcome: 'granted' },
        { at: 1, account: 'a', client: 'git', outcome: 'denied' },
      ],
    });
    store.getState().setAuditFilter({ account: 'a' });
    expect(selectFilteredAudit(store.getState())).toHaveLength(2);
    store.getState().setAuditFilter({ client: 'git' });
    expect(selectFilteredAudit(store.getState()).map((e) => e.at)).toEqual([1]);
  });
});
