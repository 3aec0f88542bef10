/**
 * Test fixtures as `use…()` calls: each registers the vitest hooks that start a real part before
 * the tests (of the file, or of the `describe` it is called in) and stop it after, and returns a
 * handle the tests use as if it were the part itself.
 *
 * ```ts
 * const server = useAuthServer();          // one oidc-provider for the whole file
 * const temp = useTempDir('tb-api-');      // a fresh directory for each test
 * it('…', () => fetch(`${server.issuer}/…`) … join(temp.path, 'x') …);
 * ```
 *
 * The handle forwards to the value of the current run, so it can be captured at the top of the
 * file; touched outside a test or hook (before the fixture started) it throws and says so.
 * Hooks run in the order they are registered and the after-hooks in reverse (vitest's default
 * `sequence.hooks: 'stack'`), so a fixture declared later may use one declared earlier, and is
 * torn down before it. Suite-specific rigs build on {@link useFixture}: `useIpcRig` (ipc-rig.ts),
 * `useBootedApps` (test/main/support/app-harness.ts), `useHarnesses` (test/core/broker/harness.ts),
 * `useSandbox`/`useServe` (test/integration/support/cli.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { AuthServer, AuthServerOptions } from './auth-server.js';

/** `file`: started once before all tests (of the file or describe); `test`: fresh for each test. */
export type FixtureScope = 'file' | 'test';

export interface FixtureSpec<T extends object> {
  /** Names the fixture in the error for a handle used too early. */
  name: string;
  scope: FixtureScope;
  setup: () => T | Promise<T>;
  teardown?: (value: T) => unknown;
}

/** Holds a fixture's current value; {@link handleOf} gives the stand-in the tests use. */
export interface FixtureSlot<T extends object> {
  current: T | undefined;
  name: string;
}

/** A stand-in for the slot's current value: property reads, writes and method calls go to it. */
export function handleOf<T extends object>(slot: FixtureSlot<T>): T {
  const target = (): T => {
    if (slot.current === undefined) {
      throw new Error(`${slot.name} is not running here: use it inside a test or a hook that runs after the fixture started`);
    }
    return slot.current;
  };
  return new Proxy({} as T, {
    get(_stub, property) {
      const value = target();
      const member: unknown = Reflect.get(value, property, value);
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(value) : member;
    },
    set: (_stub, property, member) => Reflect.set(target(), property, member),
    has: (_stub, property) => Reflect.has(target(), property),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor(_stub, property) {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), property);
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
  });
}

/** Registers the hooks for one fixture and returns its handle. */
export function useFixture<T extends object>(spec: FixtureSpec<T>): T {
  const slot: FixtureSlot<T> = { current: undefined, name: spec.name };
  const start = async (): Promise<void> => {
    slot.current = await spec.setup();
  };
  const stop = async (): Promise<void> => {
    const value = slot.current;
    slot.current = undefined;
    if (value !== undefined) await spec.teardown?.(value);
  };
  if (spec.scope === 'file') {
    beforeAll(start);
    afterAll(stop);
  } else {
    beforeEach(start);
    afterEach(stop);
  }
  return handleOf(slot);
}

/**
 * Things a test creates with its own options (a broker harness, a booted app), disposed after
 * that test, the last created first. Returns `track`, which hands its argument back.
 */
export function useTracked<T>(dispose: (value: T) => unknown): <V extends T>(value: V) => V {
  const created: T[] = [];
  afterEach(async () => {
    for (const value of created.splice(0).reverse()) await dispose(value);
  });
  return (value) => {
    created.push(value);
    return value;
  };
}

/**
 * The oidc-provider fixture (test/support/auth-server.ts), one per file unless called inside a
 * `describe` (CI time: each start generates keys). `freshCounters` resets `tokenRequests` before
 * each test, for files that count requests per test.
 */
export function useAuthServer(options: AuthServerOptions = {}, fixture: AuthServerFixtureOptions = {}): AuthServer {
  return useAuthServers(['useAuthServer()'], options, fixture)['useAuthServer()'];
}

export interface AuthServerFixtureOptions {
  /** Reset `tokenRequests` before each test. */
  freshCounters?: boolean;
}

/**
 * Several independent fixture servers for the file, by name, started side by side: for tests that
 * need a second provider, e.g. one they take down (closing it early is fine; the fixture then
 * closes nothing).
 */
export function useAuthServers<const Name extends string>(
  names: readonly Name[],
  options: AuthServerOptions = {},
  fixture: AuthServerFixtureOptions = {},
): Record<Name, AuthServer> {
  const slots: FixtureSlot<AuthServer>[] = names.map((name) => ({ current: undefined, name }));
  const closeAll = () => Promise.all(slots.map((slot) => slot.current?.close()));
  beforeAll(async () => {
    const { startAuthServer } = await import('./auth-server.js');
    const started = await Promise.allSettled(slots.map(async (slot) => (slot.current = await startAuthServer(options))));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await closeAll();
      throw failed.reason;
    }
  });
  afterAll(async () => {
    await closeAll();
    for (const slot of slots) slot.current = undefined;
  });
  if (fixture.freshCounters === true) {
    beforeEach(() => {
      for (const slot of slots) slot.current?.resetCounters();
    });
  }
  return Object.fromEntries(names.map((name, index) => [name, handleOf(slots[index] as FixtureSlot<AuthServer>)])) as Record<
    Name,
    AuthServer
  >;
}

/** A private temp directory (`<tmpdir>/<prefix>XXXXXX`), removed with everything in it afterwards. */
export function useTempDir(prefix: string, scope: FixtureScope = 'test'): { readonly path: string } {
  return useFixture({
    name: `useTempDir('${prefix}')`,
    scope,
    setup: async () => ({ path: await mkdtemp(join(tmpdir(), prefix)) }),
    teardown: (dir) => rm(dir.path, { recursive: true, force: true }),
  });
}

/** Debian's Chromium through playwright-core (test/support/chromium.ts), one per file. */
export function useChromium(): Browser {
  return useFixture<Browser>({
    name: 'useChromium()',
    scope: 'file',
    setup: async () => (await import('./chromium.js')).launchChromium(),
    teardown: (browser) => browser.close(),
  });
}
