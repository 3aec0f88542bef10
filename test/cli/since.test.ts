import { describe, expect, it } from 'vitest';
import { parseSince } from '../../main/cli/since.js';

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);

describe('audit --since', () => {
  it('reads relative ages', () => {
    expect(parseSince('30m', NOW)).toBe(NOW - 30 * 60_000);
    expect(parseSince('1h', NOW)).toBe(NOW - 3_600_000);
    expect(parseSince('2d', NOW)).toBe(NOW - 2 * 86_400_000);
    expect(parseSince('1w', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseSince('90s', NOW)).toBe(NOW - 90_000);
    expect(parseSince('1h30m', NOW)).toBe(NOW - 90 * 60_000);
    expect(parseSince('0m', NOW)).toBe(NOW);
  });

  it('reads ISO dates (local midnight) and date-times', () => {
    expect(parseSince('2025-06-01', NOW)).toBe(new Date(2025, 5, 1).getTime());
    expect(parseSince('2025-06-01T09:00:00Z', NOW)).toBe(Date.UTC(2025, 5, 1, 9));
    expect(parseSince('2025-06-01T09:00:00.250Z', NOW)).toBe(Date.UTC(2025, 5, 1, 9, 0, 0, 250));
    expect(parseSince('2025-06-01T09:00+02:00', NOW)).toBe(Date.UTC(2025, 5, 1, 7));
    expect(parseSince('2025-06-01 09:00:00+0200', NOW)).toBe(Date.UTC(2025, 5, 1, 7));
    expect(parseSince('2025-06-01T09:00', NOW)).toBe(new Date(2025, 5, 1, 9).getTime());
  });

  it('refuses anything else, impossible dates and the future', () => {
    for (const bad of [
      '',
      '1',
      'h',
      '1y',
      '-1h',
      'yesterday',
      '2025-02-30',
      '2025-13-01',
      '2025-06-01T25:00Z',
      '2026-01-01',
      '1h 30m',
      '01/06/2025',
    ]) {
      expect(parseSince(bad, NOW), bad).toBeUndefined();
    }
  });
});
