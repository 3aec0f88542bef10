/**
 * Ports the IPC handlers need from the desktop shell. main/electron implements them with
 * Electron's clipboard, shell and app modules; tests and the renderer's browser harness pass
 * in-memory ones. Nothing here imports 'electron'.
 */
import type { Clock } from '../core/ports.js';

/** A clock that can also schedule work, so the 30 s clipboard clear and approval timeouts are testable. */
export interface TimerClock extends Clock {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque handle returned by {@link TimerClock.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** Real time; timers are unref'd so a pending clear never keeps a process alive. */
export const systemTimerClock: TimerClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The system clipboard, text only (Electron's clipboard API is promise-based). */
export interface ClipboardPort {
  writeText(text: string): Promise<void>;
  readText(): Promise<string>;
}

/** Start-at-login as the OS knows it (Electron's app.setLoginItemSettings). */
export interface LoginItemPort {
  set(openAtLogin: boolean): void;
}

/** The TCP listener's bearer key file: readable only into the clipboard, never over IPC. */
export interface TcpKeyPort {
  /** The current key, or undefined when none has been created yet. */
  read(): Promise<string | undefined>;
  /** Replaces the key with a fresh random one (0600 file). */
  regenerate(): Promise<void>;
}

/** What the desktop shell offers the handlers. */
export interface DesktopPorts {
  clipboard: ClipboardPort;
  /**
   * Opens a URL in the system browser. Callers pass only URLs the broker built; the Electron
   * implementation checks that again (docs/security.md: openExternal only for URLs the broker built).
   */
  openExternal(url: string): Promise<void>;
  loginItem: LoginItemPort;
  tcpKey: TcpKeyPort;
}
