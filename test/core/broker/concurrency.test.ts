import { describe, expect, it } from 'vitest';
import { createSequencer, createSingleFlight } from '../../../main/core/broker/concurrency.js';
import { createEventEmitter } from '../../../main/core/broker/events.js';
import { silentLogger } from '../../../main/core/ports.js';

describe('concurrency helpers', () => {
  it('single-flight shares one promise per key until it settles', async () => {
    const flights = createSingleFlight<string, number>();
    let calls = 0;
    const task = async (): Promise<number> => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return calls;
    };
    const results = await Promise.all([flights.run('a', task), flights.run('a', task), flights.run('b', task)]);
    expect(results[0]).toBe(results[1]);
    expect(calls).toBe(2);
    expect(flights.size()).toBe(0);
    await expect(flights.run('a', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(flights.has('a')).toBe(false);
  });

  it('the sequencer serializes per key, continues after a failure, and keeps keys independent', async () => {
    const sequencer = createSequencer<string>();
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = sequencer.queue('a', async () => {
      await held;
      order.push('a1');
      throw new Error('boom');
    });
    const second = sequencer.queue('a', async () => {
      order.push('a2');
    });
    await sequencer.queue('b', async () => {
      order.push('b1');
    });
    expect(order).toEqual(['b1']);
    release();
    await expect(first).rejects.toThrow('boom');
    await second;
    expect(order).toEqual(['b1', 'a1', 'a2']);
    await sequencer.drain();
  });

  it('the emitter isolates throwing listeners and unsubscribes', () => {
    const warnings: string[] = [];
    const events = createEventEmitter<number>({ ...silentLogger, warn: (line) => warnings.push(line) });
    const seen: number[] = [];
    events.on(() => {
      throw new Error('bug');
    });
    const off = events.on((value) => seen.push(value));
    events.emit(1);
    off();
    off();
    events.emit(2);
    expect(seen).toEqual([1]);
    expect(warnings).toEqual(['[events] a listener threw: Error', '[events] a listener threw: Error']);
  });
});
