/**
 * The IPC rig: the REAL handler table (main/ipc/handlers.ts) over a REAL broker daemon (config,
 * keychain vault, broker, token API on a Unix socket) in a temp home, with the desktop ports
 * (clipboard, openExternal, login item) in memory: they are Electron's job and tested there
 * (test/main/electron, against the electron fake). No Electron here.
 *
 * Two suites drive it:
 * - the handler tests (test/main/ipc) call channels directly with {@link IpcRig.call} / `ok`, on
 *   a fake clock they move by hand;
 * - the renderer's browser tests (test/e2e) {@link IpcRig.attach} it to a Chromium context as
 *   `window.broker`: page calls go through `invokeHandler` (the same argument validation and
 *   error mapping as Electron's ipcMain), events are dispatched into each page in order, and
 *   `window.broker` is defined by an init script from the contract's channel list, frozen like
 *   the preload's contextBridge object.
 *
 * Values crossing go through structuredClone, as over Electron's IPC.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PRESETS, presetProvider } from '../../main/core/accounts/presets.js';
import { startBrokerDaemon, type BrokerDaemon } from '../../main/core/daemon.js';
import { discover } from '../../main/electron/core-services.js';
import { createApprovalQueue, type ApprovalQueue } from '../../main/ipc/approvals.js';
import { createBrokerUrlRegistry } from '../../main/ipc/broker-urls.js';
import {
  IPC_INVOKE_CHANNELS,
  type AccountDraft,
  type IpcChannel,
  type IpcEvent,
  type IpcEventMap,
  type IpcInvokeMap,
  type IpcResult,
  type SignInProgressView,
} from '../../main/ipc/contract.js';
import type { DesktopPorts, TimerClock } from '../../main/ipc/desktop-ports.js';
import { createIpcHandlers, forwardBrokerEvents, invokeHandler, type IpcHandlerTable } from '../../main/ipc/handlers.js';
import { createTcpKeyFile } from '../../main/ipc/tcp-key-file.js';
import type { AuthServer } from './auth-server.js';
import { createFakeTimerClock, type FakeTimerClock } from './fake-timer-clock.js';
import { useFixture, type FixtureScope } from './fixtures.js';

export interface IpcRigOptions<C extends TimerClock> {
  /** Time for the handlers and the approval queue; default a fake clock (moved with `advance`). */
  clock?: C;
  /** What `version` answers as the app version; default 1.2.3. */
  appVersion?: string;
  /** Environment of the daemon beyond TOKEN_BROKER_HOME (e.g. TOKEN_BROKER_PROACTIVE_REFRESH: 'off'). */
  env?: NodeJS.ProcessEnv;
  /** Told about each URL the broker opens in the "system browser" (e.g. to sign in with Chromium). */
  openBrowser?: (url: string) => void | Promise<void>;
}

export interface IpcRig<C extends TimerClock = FakeTimerClock> {
  home: string;
  daemon: BrokerDaemon;
  table: IpcHandlerTable;
  clock: C;
  approvals: ApprovalQueue;
  /** What "copy" put on the (in-memory) clipboard. Tests assert on it; it is never logged. */
  clipboard: { text: string };
  /** URLs opened in the system browser: by the broker itself, and through openExternal (broker-built only). */
  opened: string[];
  /** Every value the login-item port was set to. */
  loginItem: boolean[];
  /** Every event sent to the window, in order. */
  events: Array<{ event: IpcEvent; payload: unknown }>;
  /** Every call attached pages made and what went back to them (for "nothing secret crosses" checks). */
  calls: Array<{ channel: string; args: unknown; result: unknown }>;
  call<K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']): Promise<IpcResult<IpcInvokeMap[K]['result']>>;
  /** Same, but succeeds or throws. */
  ok<K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']): Promise<IpcInvokeMap[K]['result']>;
  /** Exposes window.broker in this context's (or page's) pages; call before the page loads the app. */
  attach(target: BrowserContext | Page): Promise<void>;
  /** Resolves with the first sign-in progress (already seen or coming) that matches. */
  waitForProgress<P extends SignInProgressView['phase']>(
    account: string,
    phase: P,
    timeoutMs?: number,
  ): Promise<Extract<SignInProgressView, { phase: P }>>;
  /** Stops the event forwarding, denies pending approvals, closes the daemon and removes the home. */
  close(): Promise<void>;
}

/** A client_credentials account on the fixture's basic client, as the window's form sends it. */
export function clientCredentialsDraft(server: AuthServer, name = 'ci', extra: Partial<AccountDraft> = {}): AccountDraft {
  return {
    name,
    issuer: server.issuer,
    clientId: server.clients.basic.clientId,
    clientAuth: 'basic',
    clientSecret: server.clients.basic.clientSecret,
    grant: 'client_credentials',
    scopes: [],
    allowLegacy: false,
    approval: 'auto',
    ...extra,
  };
}

/** The value of a successful call; a failed one throws, naming the channel and the error code. */
export function valueOf<T>(channel: IpcChannel, result: IpcResult<T>): T {
  if (!result.ok) throw new Error(`${channel} failed: ${result.error.code} ${result.error.message}`);
  return result.value;
}

const CHANNELS = Object.keys(IPC_INVOKE_CHANNELS) as IpcChannel[];

/** Runs in the page before any of its scripts: the same surface the preload exposes. */
function defineBrokerApi(channels: string[]): void {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const target = window as unknown as Record<string, unknown> & { __brokerInvoke: (channel: string, args: unknown[]) => Promise<unknown> };
  const api: Record<string, unknown> = {
    on: (event: string, listener: (payload: unknown) => void) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => {
        set.delete(listener);
      };
    },
  };
  for (const channel of channels) api[channel] = (...args: unknown[]) => target.__brokerInvoke(channel, args);
  Object.defineProperty(window, 'broker', { value: Object.freeze(api), enumerable: true });
  Object.defineProperty(window, '__brokerDispatch', {
    value: (event: string, payload: unknown) => {
      for (const listener of listeners.get(event) ?? []) listener(payload);
    },
  });
}

export async function startIpcRig<C extends TimerClock = FakeTimerClock>(options: IpcRigOptions<C> = {}): Promise<IpcRig<C>> {
  const home = await mkdtemp(join(tmpdir(), 'tb-ipc-'));
  const clock = options.clock ?? (createFakeTimerClock(Date.now()) as TimerClock as C);
  const urls = createBrokerUrlRegistry();
  const approvals = createApprovalQueue({ clock });
  const opened: string[] = [];
  const daemon = await startBrokerDaemon({
    dataDir: home,
    env: { ...options.env, TOKEN_BROKER_HOME: home },
    approvals,
    // As in the app: the broker opens only URLs it built, and they may be reopened from the window.
    openBrowser: async (url) => {
      urls.rememberBuilt(undefined, url);
      opened.push(url);
      await options.openBrowser?.(url);
    },
  });
  const clipboard = { text: '' };
  const loginItem: boolean[] = [];
  const desktop: DesktopPorts = {
    clipboard: {
      writeText: async (text) => {
        clipboard.text = text;
      },
      readText: async () => clipboard.text,
    },
    openExternal: async (url) => {
      if (!urls.isBrokerUrl(url)) throw new Error('[ipc-rig] refusing to open a URL the broker did not build');
      opened.push(url);
    },
    loginItem: { set: (value) => loginItem.push(value) },
    tcpKey: createTcpKeyFile(daemon.tcpKeyFile),
  };
  const table = createIpcHandlers({
    appVersion: options.appVersion ?? '1.2.3',
    broker: daemon.broker,
    configStore: daemon.configStore,
    presets: PRESETS,
    presetProvider,
    discover,
    desktop,
    approvals,
    urls,
    api: {
      socketPath: daemon.socketPath,
      tcpAddress: () => daemon.api.tcpAddress,
      applyTcpListener: (tcp) => daemon.applyTcpListener(tcp),
    },
    clock,
  });

  const pages = new Map<Page, Promise<unknown>>();
  const events: IpcRig['events'] = [];
  const calls: IpcRig['calls'] = [];
  const progressWaiters = new Set<(progress: SignInProgressView) => void>();
  const emit = <E extends IpcEvent>(event: E, payload: IpcEventMap[E]): void => {
    const sent = structuredClone(payload);
    events.push({ event, payload: sent });
    if (event === 'signInProgress') for (const waiter of progressWaiters) waiter(sent as SignInProgressView);
    // Each page gets the events in order, one dispatch after the other.
    for (const [page, queue] of pages) {
      const next = queue
        .then(() =>
          page.evaluate(
            ([name, value]) =>
              (window as unknown as { __brokerDispatch?: (e: string, p: unknown) => void }).__brokerDispatch?.(name, value),
            [event, sent] as const,
          ),
        )
        .catch(() => undefined);
      pages.set(page, next);
    }
  };
  const stopForwarding = forwardBrokerEvents({ broker: daemon.broker, approvals, urls, emit });

  const attachPage = (page: Page): void => {
    if (pages.has(page)) return;
    pages.set(page, Promise.resolve());
    page.once('close', () => pages.delete(page));
  };
  const call = <K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']) => invokeHandler(table, channel, args);

  return {
    home,
    daemon,
    table,
    clock,
    approvals,
    clipboard,
    opened,
    loginItem,
    events,
    calls,
    call,
    ok: async (channel, ...args) => valueOf(channel, await call(channel, ...args)),
    async attach(target) {
      await target.exposeBinding('__brokerInvoke', async (source, channel: unknown, args: unknown) => {
        if (typeof channel !== 'string' || !(CHANNELS as string[]).includes(channel) || !Array.isArray(args)) {
          return { ok: false, error: { code: 'INVALID_REQUEST', message: 'Unknown channel' } };
        }
        attachPage(source.page);
        const result = await invokeHandler(table, channel as IpcChannel, args as never);
        calls.push({ channel, args, result });
        return result;
      });
      await target.addInitScript(defineBrokerApi, CHANNELS);
      if ('pages' in target) for (const page of target.pages()) attachPage(page);
      else attachPage(target);
    },
    waitForProgress(account, phase, timeoutMs = 20_000) {
      type Wanted = Extract<SignInProgressView, { phase: typeof phase }>;
      const matches = (progress: SignInProgressView) => progress.account === account && progress.phase === phase;
      const seen = events.find((e) => e.event === 'signInProgress' && matches(e.payload as SignInProgressView));
      if (seen !== undefined) return Promise.resolve(seen.payload as Wanted);
      return new Promise<Wanted>((resolve, reject) => {
        const timer = setTimeout(() => {
          progressWaiters.delete(waiter);
          reject(new Error(`[ipc-rig] no ${phase} progress for ${account} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (progress: SignInProgressView) => {
          if (!matches(progress)) return;
          clearTimeout(timer);
          progressWaiters.delete(waiter);
          resolve(progress as Wanted);
        };
        progressWaiters.add(waiter);
      });
    },
    async close() {
      stopForwarding();
      approvals.dispose();
      await daemon.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** {@link startIpcRig} as a fixture: fresh for each test (default), or one for the file. */
export function useIpcRig<C extends TimerClock = FakeTimerClock>(options: IpcRigOptions<C> = {}, scope: FixtureScope = 'test'): IpcRig<C> {
  return useFixture<IpcRig<C>>({ name: 'useIpcRig()', scope, setup: () => startIpcRig(options), teardown: (rig) => rig.close() });
}
