/** A manual clock with timers: `advance(ms)` moves time and runs what came due, in order. */
import type { TimerClock, TimerHandle } from '../../main/ipc/desktop-ports.js';

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

export interface FakeTimerClock extends TimerClock {
  advance(ms: number): void;
  set(now: number): void;
  pending(): number;
}

export function createFakeTimerClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)): FakeTimerClock {
  let now = start;
  let nextId = 1;
  let timers: Timer[] = [];
  const clock: FakeTimerClock = {
    now: () => now,
    setTimeout(callback, ms) {
      const timer = { id: nextId++, at: now + Math.max(0, ms), callback };
      timers.push(timer);
      return timer as TimerHandle;
    },
    clearTimeout(handle) {
      timers = timers.filter((timer) => timer !== handle);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const due = timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (due === undefined) break;
        timers = timers.filter((timer) => timer !== due);
        now = due.at;
        due.callback();
      }
      now = target;
    },
    set(value) {
      now = value;
    },
    pending: () => timers.length,
  };
  return clock;
}
