import { describe, expect, it } from 'vitest';
import { displayStatus, EXPIRING_WINDOW_MS } from '../../../renderer/lib/status.js';

describe('displayStatus', () => {
  const now = 10_000_000;
  it('derives expiring and expired from the clock for ok accounts', () => {
    expect(displayStatus({ status: 'ok', expiresAt: now + EXPIRING_WINDOW_MS + 1 }, now)).toBe('ok');
    expect(displayStatus({ status: 'ok', expiresAt: now + EXPIRING_WINDOW_MS }, now)).toBe('expiring');
    expect(displayStatus({ status: 'ok', expiresAt: now }, now)).toBe('expired');
    expect(displayStatus({ status: 'ok' }, now)).toBe('ok');
  });

  it('keeps what the broker says otherwise', () => {
    expect(displayStatus({ status: 'needs_login', expiresAt: now + 3600_000 }, now)).toBe('needs_login');
    expect(displayStatus({ status: 'error' }, now)).toBe('error');
    expect(displayStatus({ status: 'expired' }, now)).toBe('expired');
  });
});
