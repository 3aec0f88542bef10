import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../../main/core/broker/scheduler.js';
import { silentLogger } from '../../../main/core/ports.js';
import { FakeClock, FakeTimers } from './harness.js';

function setup(dueTimes: Map<string, number | undefined>) {
  const clock = new FakeClock(0);
  const timers = new FakeTimers();
  const runs: string[] = [];
  let release: () => void = () => {};
  const scheduler = createScheduler({
    clock,
    logger: silentLogger,
    setTimer: timers.setTimer,
    entries: () => [...dueTimes].map(([key, dueAt]) => ({ key, dueAt })),
    run: async (key) => {
      runs.push(key);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      dueTimes.set(key, clock.now() + 3_600_000);
    },
  });
  return { clock, timers, runs, scheduler, release: () => release() };
}

describe('scheduler', () => {
  it('sleeps until the earliest due time, at most 60 s at a time', () => {
    const { timers, scheduler } = setup(
      new Map([
        ['a', 10_000],
        ['b', 500_000],
      ]),
    );
    scheduler.start();
    expect(timers.armed().map((timer) => timer.delayMs)).toEqual([10_000]);
    scheduler.stop();
    const far = setup(new Map([['a', 500_000]]));
    far.scheduler.start();
    expect(far.timers.armed().map((timer) => timer.delayMs)).toEqual([60_000]);
  });

  it('runs what is due when the timer fires, even hours late, and never twice at once', async () => {
    const due = new Map<string, number | undefined>([
      ['a', 10_000],
      ['b', undefined],
    ]);
    const { clock, timers, runs, scheduler, release } = setup(due);
    scheduler.start();
    clock.advance(5 * 3_600_000);
    timers.fire();
    expect(runs).toEqual(['a']);
    await scheduler.tick(); // a poke while running does not start a second run
    expect(runs).toEqual(['a']);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers.armed().map((timer) => timer.delayMs)).toEqual([60_000]);
    scheduler.stop();
    expect(timers.armed()).toHaveLength(0);
  });
});
