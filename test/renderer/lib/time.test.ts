import { describe, expect, it } from 'vitest';
import { formatDuration, formatExpiry, formatRelative } from '../../../renderer/lib/time.js';

describe('time formatting', () => {
  it('formats durations at each scale', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(12 * 60_000 + 30_000)).toBe('12 min');
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe('2 h 5 min');
    expect(formatDuration(3 * 3600_000)).toBe('3 h');
    expect(formatDuration(3 * 86_400_000)).toBe('3 d');
  });

  it('says how long until expiry, or since', () => {
    const now = 1_000_000;
    expect(formatExpiry(now + 12 * 60_000, now)).toBe('expires in 12 min');
    expect(formatExpiry(now - 3 * 60_000, now)).toBe('expired 3 min ago');
    expect(formatExpiry(undefined, now)).toBe('no expiry');
  });

  it('formats relative times', () => {
    expect(formatRelative(1000, 2000)).toBe('just now');
    expect(formatRelative(0, 5 * 60_000)).toBe('5 min ago');
    expect(formatRelative(5 * 60_000, 0)).toBe('in 5 min');
  });
});
