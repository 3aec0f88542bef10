import { describe, expect, it } from 'vitest';
import { createDisposableStore } from '../../../main/electron/disposables.js';

describe('the disposable store behind the app shutdown', () => {
  it('runs the teardowns once, last added first, each awaited before the next', async () => {
    const order: string[] = [];
    const store = createDisposableStore(() => {});
    store.add(() => {
      order.push('daemon');
    });
    store.add(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      order.push('ipc');
    });
    store.add(() => {
      order.push('tray');
    });
    const first = store.dispose();
    expect(store.dispose()).toBe(first);
    await first;
    await store.dispose();
    expect(order).toEqual(['tray', 'ipc', 'daemon']);
  });

  it('reports a failing teardown and still runs the others', async () => {
    const order: string[] = [];
    const errors: unknown[] = [];
    const store = createDisposableStore((error) => errors.push(error));
    store.add(() => {
      order.push('daemon');
    });
    store.add(() => Promise.reject(new Error('flush failed')));
    store.add(() => {
      throw new Error('off failed');
    });
    await store.dispose();
    expect(order).toEqual(['daemon']);
    expect(errors.map((error) => (error as Error).message)).toEqual(['off failed', 'flush failed']);
  });

  it('runs a teardown added after the shutdown started at once', async () => {
    const order: string[] = [];
    const store = createDisposableStore(() => {});
    await store.dispose();
    store.add(() => {
      order.push('late');
    });
    expect(order).toEqual(['late']);
  });
});
