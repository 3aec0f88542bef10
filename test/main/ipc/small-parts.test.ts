import { describe, expect, it } from 'vitest';
import { createBrokerUrlRegistry, isWebUrl } from '../../../main/ipc/broker-urls.js';
import { createClipboardGuard } from '../../../main/ipc/clipboard-guard.js';
import { parseIpcArgs } from '../../../main/ipc/input-schemas.js';
import { createAttentionTracker } from '../../../main/electron/notification-policy.js';
import { createFakeTimerClock } from '../../support/fake-timer-clock.js';

describe('clipboard guard', () => {
  const setup = () => {
    const clock = createFakeTimerClock();
    const board = { text: '' };
    const guard = createClipboardGuard({
      clock,
      clipboard: { writeText: async (t) => void (board.text = t), readText: async () => board.text },
    });
    return { clock, board, guard };
  };
  const settle = () => new Promise((r) => setImmediate(r));

  it('clears after 30 s if unchanged', async () => {
    const { clock, board, guard } = setup();
    expect(await guard.copySecret('s3cret')).toEqual({ clearsAt: clock.now() + 30_000 });
    clock.advance(29_999);
    await settle();
    expect(board.text).toBe('s3cret');
    clock.advance(1);
    await settle();
    expect(board.text).toBe('');
  });

  it('does not clear what the user copied since', async () => {
    const { clock, board, guard } = setup();
    await guard.copySecret('s3cret');
    board.text = 'mine';
    clock.advance(30_000);
    await settle();
    expect(board.text).toBe('mine');
  });

  it('a second copy restarts the timer; flush clears at once', async () => {
    const { clock, board, guard } = setup();
    await guard.copySecret('one');
    clock.advance(20_000);
    await guard.copySecret('two');
    clock.advance(20_000);
    await settle();
    expect(board.text).toBe('two');
    await guard.flush();
    expect(board.text).toBe('');
    expect(clock.pending()).toBe(0);
  });
});

describe('broker URL registry', () => {
  it('remembers authorization and verification URLs per account until the sign-in ends', () => {
    const urls = createBrokerUrlRegistry();
    urls.rememberProgress({ account: 'web', phase: 'waiting_for_browser', url: 'https://idp.example/authorize?x=1' });
    expect(urls.isBrokerUrl('https://idp.example/authorize?x=1')).toBe(true);
    expect(urls.urlFor('web')).toBe('https://idp.example/authorize?x=1');
    urls.rememberProgress({
      account: 'dev',
      phase: 'device_code',
      userCode: 'ABCD',
      verificationUri: 'https://idp.example/device',
      verificationUriComplete: 'https://idp.example/device?user_code=ABCD',
      expiresAt: 0,
    });
    expect(urls.urlFor('dev')).toBe('https://idp.example/device?user_code=ABCD');
    expect(urls.isBrokerUrl('https://idp.example/device')).toBe(true);
    urls.rememberProgress({ account: 'dev', phase: 'done' });
    expect(urls.urlFor('dev')).toBeUndefined();
    expect(urls.isBrokerUrl('https://evil.example/')).toBe(false);
  });

  it('never records non-web URLs', () => {
    const urls = createBrokerUrlRegistry();
    urls.rememberBuilt('x', 'file:///etc/passwd');
    urls.rememberBuilt('x', 'javascript:alert(1)');
    expect(urls.isBrokerUrl('file:///etc/passwd')).toBe(false);
    expect(urls.urlFor('x')).toBeUndefined();
    expect(isWebUrl('not a url')).toBe(false);
  });
});

describe('IPC argument parsing', () => {
  it('accepts omitted trailing optionals and rejects extras, naming the path but not the value', () => {
    expect(parseIpcArgs('signIn', ['web'])).toEqual(['web']);
    expect(parseIpcArgs('signIn', ['web', undefined])).toEqual(['web']);
    expect(parseIpcArgs('auditLog', [])).toEqual([]);
    expect(() => parseIpcArgs('refresh', ['web', 'extra'])).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    try {
      parseIpcArgs('signIn', ['web', { username: 'alice', password: 12345678 }]);
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).toContain('arguments[1].password');
      expect(String((error as Error).message)).not.toContain('12345678');
    }
  });
});

describe('notification policy', () => {
  it('notifies once per account per state change and re-arms after success', () => {
    const tracker = createAttentionTracker();
    const error = { code: 'PROVIDER_UNREACHABLE' as const, message: 'The provider cannot be reached' };
    expect(tracker.next({ type: 'needs_login', account: 'a' })?.title).toBe('Sign in to a again');
    expect(tracker.next({ type: 'needs_login', account: 'a' })).toBeUndefined();
    expect(tracker.next({ type: 'refresh_failed', account: 'b', error })?.body).toBe(error.message);
    expect(tracker.next({ type: 'refresh_failed', account: 'b', error })).toBeUndefined();
    expect(tracker.next({ type: 'token_refreshed', account: 'b' })).toBeUndefined();
    expect(tracker.next({ type: 'refresh_failed', account: 'b', error })).toBeDefined();
    expect(tracker.next({ type: 'sign_in_progress', progress: { account: 'a', phase: 'done' } })).toBeUndefined();
    expect(tracker.next({ type: 'needs_login', account: 'a' })).toBeDefined();
    expect(tracker.next({ type: 'accounts_changed' })).toBeUndefined();
  });
});
