/**
 * One place that holds everything the app set up and must undo at quit (VS Code's
 * `DisposableStore`): each setup step adds its own teardown right where it creates the thing,
 * and quitting runs them all in reverse order, so what was set up last goes first and the broker
 * daemon, set up first, closes last.
 */

/** Undoes one setup step: removes a listener, stops a timer, closes a resource. */
export type Teardown = () => void | Promise<void>;

export interface DisposableStore {
  /** Adds a teardown. Added after {@link DisposableStore.dispose} started, it runs at once. */
  add(teardown: Teardown): void;
  /**
   * Runs every teardown once, last added first, each awaited before the next. A failing teardown
   * is reported and the rest still run. Calling it again returns the same promise.
   */
  dispose(): Promise<void>;
}

/** `onError` hears about every teardown that throws or rejects (nothing else sees those errors). */
export function createDisposableStore(onError: (error: unknown) => void): DisposableStore {
  const teardowns: Teardown[] = [];
  let disposing: Promise<void> | undefined;

  const run = async (teardown: Teardown): Promise<void> => {
    try {
      await teardown();
    } catch (error) {
      onError(error);
    }
  };

  return {
    add(teardown) {
      if (disposing === undefined) teardowns.push(teardown);
      else void run(teardown);
    },
    dispose() {
      disposing ??= (async () => {
        for (const teardown of teardowns.splice(0).reverse()) await run(teardown);
      })();
      return disposing;
    },
  };
}
