/**
 * Keyed concurrency helpers: single-flight (callers of the same key share one promise) and a
 * sequencer (tasks of the same key run one after another; different keys never wait for each
 * other — compare VS Code's `SequencerByKey`).
 */

/** Concurrent `run(key, task)` calls with the same key share the first call's promise until it settles. */
export interface SingleFlight<K, V> {
  run(key: K, task: () => Promise<V>): Promise<V>;
  has(key: K): boolean;
  size(): number;
}

export function createSingleFlight<K, V>(): SingleFlight<K, V> {
  const inflight = new Map<K, Promise<V>>();
  return {
    run(key, task) {
      const existing = inflight.get(key);
      if (existing !== undefined) return existing;
      const promise = (async () => {
        try {
          return await task();
        } finally {
          inflight.delete(key);
        }
      })();
      inflight.set(key, promise);
      return promise;
    },
    has: (key) => inflight.has(key),
    size: () => inflight.size,
  };
}

/** Runs tasks of one key strictly one after another; a failed task does not stop the next. */
export interface Sequencer<K> {
  queue<T>(key: K, task: () => Promise<T>): Promise<T>;
  /** Resolves once every task queued so far has settled. */
  drain(): Promise<void>;
}

export function createSequencer<K>(): Sequencer<K> {
  const tails = new Map<K, Promise<unknown>>();
  return {
    queue<T>(key: K, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(task, task);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    async drain() {
      while (tails.size > 0) await Promise.all([...tails.values()]);
    },
  };
}
