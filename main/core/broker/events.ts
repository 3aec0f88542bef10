/**
 * A tiny typed event emitter. Listeners are called synchronously in registration order; a
 * listener that throws is reported to the logger and never breaks the emitter or the broker.
 */
import type { Logger } from '../ports.js';

export interface EventEmitter<E> {
  /** Registers a listener; the returned function unregisters it (idempotent). */
  on(listener: (event: E) => void): () => void;
  emit(event: E): void;
  /** True when at least one listener is registered (lets hot paths skip building events). */
  hasListeners(): boolean;
  clear(): void;
}

export function createEventEmitter<E>(logger: Logger, name = 'events'): EventEmitter<E> {
  // Copy-on-write array: emit iterates a snapshot without allocating.
  let listeners: readonly ((event: E) => void)[] = [];
  return {
    on(listener) {
      listeners = [...listeners, listener];
      return () => {
        listeners = listeners.filter((existing) => existing !== listener);
      };
    },
    emit(event) {
      const snapshot = listeners;
      for (const listener of snapshot) {
        try {
          listener(event);
        } catch (error) {
          logger.warn(`[${name}] a listener threw: ${error instanceof Error ? error.name : typeof error}`);
        }
      }
    },
    hasListeners: () => listeners.length > 0,
    clear() {
      listeners = [];
    },
  };
}
