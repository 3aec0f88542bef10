/**
 * Gives V8 heap pages back to the system once the daemon is idle after talking to a provider
 * (issue 15: idle RSS after a refresh ≤ a bare node:http server + 8 MB).
 *
 * Why: the first provider request loads the OAuth engine and got (their code, sources and module
 * state, ~1.2 MB that stays live) and allocates a burst of short-lived objects while it runs.
 * Objects that outlive two scavenges are promoted, so the burst leaves old-space pages partly
 * filled with garbage. An idle daemon runs no mark-compact for hours (nothing allocates), and
 * even a full GC keeps a page that still holds one live object: measured on the footprint bench,
 * the old space stayed 1–1.8 MB above its live size after a refresh, and that is resident memory.
 * One full GC with compaction moves the survivors together and unmaps the emptied pages.
 *
 * How: V8 offers no API for it without `--expose-gc` at start, and `serve` is started by users,
 * units and scripts with plain `node`. V8 flags that are read at use can still be set at run time
 * (`serve` already does so for the young generation): `--expose-gc` installs `gc` in contexts
 * created afterwards, so one throwaway vm context hands us the function, and
 * `--compact-on-every-full-gc` is switched on only around our own call, so V8's own collections
 * keep their usual (cheaper) heuristics.
 *
 * When: after start-up (which compiled the daemon's code) and after provider traffic (refresh,
 * sign-in, revocation … through the daemon's HTTP client), never on the hand-out path, and only
 * once the process has been quiet for a whole window (`quietMs`: at most `idleShare` of it spent
 * on the CPU, by `process.cpuUsage()`) with no provider request in flight. A busy daemon is not
 * paused: the check is repeated, and given up after `maxWaits` windows until the next provider
 * request. The collection takes 8–45 ms on the daemon's ~8 MB heap on a loaded 2-core machine
 * (`--trace-gc`); a request arriving meanwhile waits that long, once per provider exchange.
 * The throwaway context stays reachable from the `gc` function we keep: ~180 KB of heap, paid
 * once, against 1–1.8 MB given back (`npm run bench`, footprint).
 *
 * Then the native side: memory freed by native code (TLS, the HTTP parser, Buffer backing stores)
 * stays in glibc's arenas until `malloc_trim` hands it back — 0.3–0.7 MB of idle RSS in the
 * footprint bench, tens of MB after a burst of large buffers ({@link trimNativeHeap}).
 */
import { setFlagsFromString } from 'node:v8';
import { linuxLibc } from './net/koffi.js';
import type { HttpClient } from './oauth/http.js';

let gcFunction: (() => void) | undefined;

/**
 * One full, compacting garbage collection of the V8 heap, then native memory freed so far given
 * back to the system (synchronous).
 * @see {@link https://v8.dev/blog/trash-talk V8: Trash talk (mark-compact, evacuation)}
 */
export function compactHeap(): void {
  collectAndCompact();
  trimNativeHeap();
}

/** The V8 half of {@link compactHeap}: a full collection with compaction. */
export function collectAndCompact(): void {
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc');
    try {
      // node:vm only now: a daemon that never compacts does not load it (it is not loaded otherwise).
      gcFunction = process.getBuiltinModule('node:vm').runInNewContext('gc') as () => void;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gcFunction();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

let mallocTrim: ((pad: number) => unknown) | null | undefined;

/**
 * Returns native memory freed since the last call to the system; false where there is no way to.
 * glibc keeps memory freed by native code (TLS, zlib, the HTTP parser, Node's own C++ objects)
 * in its arenas instead of giving it back; `malloc_trim(0)` returns every free page of every arena.
 * Through the koffi binding the daemon already has for peer credentials; a no-op elsewhere (musl,
 * macOS, no koffi).
 * @see https://man7.org/linux/man-pages/man3/malloc_trim.3.html
 */
export function trimNativeHeap(): boolean {
  if (mallocTrim === undefined) {
    try {
      mallocTrim = process.platform === 'linux' ? linuxLibc().libc.func('int malloc_trim(uintptr_t pad)') : null;
    } catch {
      mallocTrim = null;
    }
  }
  if (mallocTrim === null) return false;
  mallocTrim(0);
  return true;
}

export interface IdleCompactorOptions {
  /** Length of the quiet window that must pass before compacting; default 500 ms. */
  quietMs?: number;
  /**
   * Share (0–1) of the window the process may spend on the CPU for the window to count as quiet;
   * default 0.002 (1 ms per 500 ms). A client polling every 10 ms keeps the daemon "busy", so it
   * never meets the pause.
   */
  idleShare?: number;
  /** Windows to wait for quiet before giving up until the next provider request; default 40. */
  maxWaits?: number;
  /** The collection; default {@link compactHeap}. */
  compact?: () => void;
  /** CPU time used by the process so far, µs; default from `process.cpuUsage()` (no module to load, unlike perf_hooks). */
  cpuMicros?: () => number;
  /** Wall clock, ms; default `Date.now`. */
  now?: () => number;
}

export interface IdleCompactor {
  /** Wraps the daemon's provider HTTP client: each request counts as provider activity. */
  watch(http: HttpClient): HttpClient;
  /** Schedules a compaction for the next quiet window (e.g. after start-up, which compiled the daemon). */
  noteActivity(): void;
  /** Cancels a pending compaction (the daemon is closing). */
  close(): void;
}

/** Compacts the heap once the daemon has gone quiet after provider requests (see the module comment). */
export function createIdleCompactor(options: IdleCompactorOptions = {}): IdleCompactor {
  const quietMs = options.quietMs ?? 500;
  const idleShare = options.idleShare ?? 0.002;
  const maxWaits = options.maxWaits ?? 40;
  const compact = options.compact ?? compactHeap;
  const cpuMicros =
    options.cpuMicros ??
    ((): number => {
      const { user, system } = process.cpuUsage();
      return user + system;
    });
  const now = options.now ?? Date.now;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let waits = 0;
  let closed = false;

  const arm = (): void => {
    const startCpu = cpuMicros();
    const startAt = now();
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      const elapsedMicros = Math.max(1, now() - startAt) * 1000;
      const quiet = inFlight === 0 && cpuMicros() - startCpu <= idleShare * elapsedMicros;
      if (quiet) {
        try {
          compact();
        } catch {
          // A memory optimisation never takes the daemon down: a runtime that refuses the flags
          // or the vm context just keeps its pages.
          closed = true;
        }
      } else if (++waits < maxWaits) {
        arm();
      }
    }, quietMs);
    timer.unref();
  };
  const noteActivity = (): void => {
    if (closed) return;
    waits = 0;
    if (timer === undefined) arm();
  };

  return {
    watch(http) {
      return {
        async request(request) {
          inFlight += 1;
          try {
            return await http.request(request);
          } finally {
            inFlight -= 1;
            noteActivity();
          }
        },
      };
    },
    noteActivity,
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
