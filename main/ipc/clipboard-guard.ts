/**
 * Copies a secret (an access token, the TCP key) to the clipboard and clears it again after a
 * delay, but only if the clipboard still holds that secret: whatever the user copied since is
 * left alone. The secret lives in this closure until then and nowhere else.
 */
import type { ClipboardPort, TimerClock, TimerHandle } from './desktop-ports.js';

export const CLIPBOARD_CLEAR_MS = 30_000;

export interface ClipboardGuard {
  /** Writes the secret and schedules the clear; resolves with when it will happen (epoch ms). */
  copySecret(secret: string): Promise<{ clearsAt: number }>;
  /** Clears now if the clipboard still holds the last secret (used on quit), and cancels the timer. */
  flush(): Promise<void>;
}

export function createClipboardGuard(options: {
  clipboard: ClipboardPort;
  clock: TimerClock;
  clearAfterMs?: number;
  /** Told when a scheduled clear fails (it runs from a timer, nobody awaits it). */
  onError?: (error: unknown) => void;
}): ClipboardGuard {
  const { clipboard, clock } = options;
  const clearAfterMs = options.clearAfterMs ?? CLIPBOARD_CLEAR_MS;
  let pending: { secret: string; timer: TimerHandle } | undefined;

  const clearIfUnchanged = async (): Promise<void> => {
    if (pending === undefined) return;
    const { secret, timer } = pending;
    pending = undefined;
    clock.clearTimeout(timer);
    if ((await clipboard.readText()) === secret) await clipboard.writeText('');
  };

  return {
    async copySecret(secret) {
      if (pending !== undefined) {
        clock.clearTimeout(pending.timer);
        pending = undefined;
      }
      await clipboard.writeText(secret);
      const clearsAt = clock.now() + clearAfterMs;
      const timer = clock.setTimeout(() => {
        clearIfUnchanged().catch((error: unknown) => options.onError?.(error));
      }, clearAfterMs);
      pending = { secret, timer };
      return { clearsAt };
    },
    flush: clearIfUnchanged,
  };
}
