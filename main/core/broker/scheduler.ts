/**
 * Proactive refresh: wakes up when the earliest refresh is due and starts it, so scripts almost
 * never wait for a provider.
 *
 * It never sleeps longer than `maxSleepMs` (60 s) at a time and compares due times with the wall
 * clock on every wake-up: timers do not advance while a laptop sleeps, so one long timeout would
 * fire hours late, while a short re-armed one notices within a minute of waking that refreshes are
 * overdue and runs them at once. Timers are unref()'d: the scheduler never keeps a process alive.
 */
import type { Clock, Logger } from '../ports.js';

/** Starts a one-shot timer and returns its cancel function. */
export type SetTimer = (callback: () => void, delayMs: number) => () => void;

/** setTimeout that does not keep the event loop alive. */
export const unrefTimer: SetTimer = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

export const MAX_SLEEP_MS = 60_000;

export interface ScheduledEntry {
  key: string;
  /** Epoch ms; undefined = nothing to do for this key. */
  dueAt: number | undefined;
}

export interface SchedulerOptions {
  clock: Clock;
  logger: Logger;
  /** The current due times; read on every wake-up. */
  entries: () => Iterable<ScheduledEntry>;
  /** Does the work for one key; must move (or clear) the key's due time, also on failure. */
  run: (key: string) => Promise<void>;
  setTimer?: SetTimer;
  maxSleepMs?: number;
}

export interface Scheduler {
  start(): void;
  /** Cancels the timer; runs already started finish on their own. */
  stop(): void;
  /** Due times changed: re-arm now (cheap; call freely). */
  poke(): void;
  /** Starts every due run now and resolves when those runs settled (tests, catch-up). */
  tick(): Promise<void>;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock, logger, entries, run } = options;
  const setTimer = options.setTimer ?? unrefTimer;
  const maxSleepMs = options.maxSleepMs ?? MAX_SLEEP_MS;
  const running = new Map<string, Promise<void>>();
  let cancelTimer: (() => void) | undefined;
  let started = false;

  function arm(): void {
    cancelTimer?.();
    cancelTimer = undefined;
    if (!started) return;
    const now = clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const entry of entries()) {
      if (entry.dueAt !== undefined && !running.has(entry.key) && entry.dueAt < next) next = entry.dueAt;
    }
    const delay = Math.min(maxSleepMs, Math.max(0, next - now));
    cancelTimer = setTimer(() => {
      cancelTimer = undefined;
      void tick();
    }, delay);
  }

  function tick(): Promise<void> {
    const now = clock.now();
    const startedRuns: Promise<void>[] = [];
    for (const entry of [...entries()]) {
      if (entry.dueAt === undefined || entry.dueAt > now || running.has(entry.key)) continue;
      const key = entry.key;
      const promise = run(key)
        .catch((error: unknown) => {
          logger.warn(`[scheduler] refresh of '${key}' threw: ${error instanceof Error ? error.name : typeof error}`);
        })
        .finally(() => {
          running.delete(key);
          arm();
        });
      running.set(key, promise);
      startedRuns.push(promise);
    }
    arm();
    return Promise.all(startedRuns).then(() => undefined);
  }

  return {
    start() {
      if (started) return;
      started = true;
      arm();
    },
    stop() {
      started = false;
      cancelTimer?.();
      cancelTimer = undefined;
    },
    poke() {
      if (started) arm();
    },
    tick,
  };
}
