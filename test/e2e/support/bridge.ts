/**
 * The renderer's browser harness: the REAL IPC handler table (main/ipc/handlers.ts) over a REAL
 * broker daemon (config, keychain vault, broker, token API on a Unix socket) running in the test
 * process, bridged into a Chromium page as `window.broker`.
 *
 * - calls: page.exposeBinding('__brokerInvoke') → invokeHandler(table, channel, args), so every
 *   call goes through the same argument validation and error mapping as Electron's ipcMain;
 * - events: forwardBrokerEvents → page.evaluate(dispatch), in order, per page;
 * - window.broker is defined by an init script from the contract's channel list, frozen like the
 *   preload's contextBridge object.
 *
 * Desktop ports (clipboard, openExternal, login item) are in memory: they are Electron's job and
 * tested there. Values crossing the bridge are JSON, as over IPC.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PRESETS, presetProvider } from '../../../main/core/accounts/presets.js';
import { startBrokerDaemon, type BrokerDaemon } from '../../../main/core/daemon.js';
import { discover } from '../../../main/electron/core-services.js';
import { createApprovalQueue, type ApprovalQueue } from '../../../main/ipc/approvals.js';
import { createBrokerUrlRegistry } from '../../../main/ipc/broker-urls.js';
import {
  IPC_INVOKE_CHANNELS,
  type IpcChannel,
  type IpcEvent,
  type IpcEventMap,
  type IpcInvokeMap,
  type IpcResult,
  type SignInProgressView,
} from '../../../main/ipc/contract.js';
import { systemTimerClock, type DesktopPorts } from '../../../main/ipc/desktop-ports.js';
import { createIpcHandlers, forwardBrokerEvents, invokeHandler, type IpcHandlerTable } from '../../../main/ipc/handlers.js';
import { createTcpKeyFile } from '../../../main/ipc/tcp-key-file.js';

export interface BrokerBridge {
  home: string;
  daemon: BrokerDaemon;
  table: IpcHandlerTable;
  approvals: ApprovalQueue;
  /** What "copy" put on the (in-memory) clipboard. Tests assert on it; it is never logged. */
  clipboard: { text: string };
  /** URLs the app asked the system browser to open (broker-built only). */
  opened: string[];
  /** Every event forwarded to the pages, in order. */
  events: Array<{ event: IpcEvent; payload: unknown }>;
  /** Every call the pages made and what went back to them (for "nothing secret crosses" checks). */
  calls: Array<{ channel: string; args: unknown; result: unknown }>;
  /** Exposes window.broker in this context's pages; call before the page loads the app. */
  attach(context: BrowserContext | Page): Promise<void>;
  /** Resolves with the first sign-in progress (already seen or coming) that matches. */
  waitForProgress<P extends SignInProgressView['phase']>(
    account: string,
    phase: P,
    timeoutMs?: number,
  ): Promise<Extract<SignInProgressView, { phase: P }>>;
  call<K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']): Promise<IpcResult<IpcInvokeMap[K]['result']>>;
  close(): Promise<void>;
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

export async function startBrokerBridge(options: { openBrowser?: (url: string) => void | Promise<void> } = {}): Promise<BrokerBridge> {
  const home = await mkdtemp(join(tmpdir(), 'tb-e2e-'));
  const urls = createBrokerUrlRegistry();
  const approvals = createApprovalQueue({ clock: systemTimerClock });
  const opened: string[] = [];
  const daemon = await startBrokerDaemon({
    dataDir: home,
    env: { TOKEN_BROKER_HOME: home, TOKEN_BROKER_PROACTIVE_REFRESH: 'off' },
    approvals,
    openBrowser: async (url) => {
      urls.rememberBuilt(undefined, url);
      opened.push(url);
      await options.openBrowser?.(url);
    },
  });
  const clipboard = { text: '' };
  const desktop: DesktopPorts = {
    clipboard: {
      writeText: async (text) => {
        clipboard.text = text;
      },
      readText: async () => clipboard.text,
    },
    openExternal: async (url) => {
      if (!urls.isBrokerUrl(url)) throw new Error('[bridge] refusing to open a URL the broker did not build');
      opened.push(url);
    },
    loginItem: { set: () => {} },
    tcpKey: createTcpKeyFile(daemon.tcpKeyFile),
  };
  const table = createIpcHandlers({
    appVersion: '0.1.0-e2e',
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
    clock: systemTimerClock,
  });

  const pages = new Map<Page, Promise<unknown>>();
  const events: BrokerBridge['events'] = [];
  const calls: BrokerBridge['calls'] = [];
  const progressWaiters = new Set<(progress: SignInProgressView) => void>();
  const emit = <E extends IpcEvent>(event: E, payload: IpcEventMap[E]): void => {
    // JSON round trip: exactly what structured clone over IPC would deliver for these shapes.
    const wire = JSON.parse(JSON.stringify(payload)) as IpcEventMap[E];
    events.push({ event, payload: wire });
    if (event === 'signInProgress') for (const waiter of progressWaiters) waiter(wire as SignInProgressView);
    for (const [page, queue] of pages) {
      const next = queue
        .then(() =>
          page.evaluate(
            ([name, value]) =>
              (window as unknown as { __brokerDispatch?: (e: string, p: unknown) => void }).__brokerDispatch?.(name, value),
            [event, wire] as const,
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

  return {
    home,
    daemon,
    table,
    approvals,
    clipboard,
    opened,
    events,
    calls,
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
      const seen = events.find(
        (e) =>
          e.event === 'signInProgress' &&
          (e.payload as SignInProgressView).account === account &&
          (e.payload as SignInProgressView).phase === phase,
      );
      if (seen !== undefined) return Promise.resolve(seen.payload as Wanted);
      return new Promise<Wanted>((resolve, reject) => {
        const timer = setTimeout(() => {
          progressWaiters.delete(waiter);
          reject(new Error(`[bridge] no ${phase} progress for ${account} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (progress: SignInProgressView) => {
          if (progress.account !== account || progress.phase !== phase) return;
          clearTimeout(timer);
          progressWaiters.delete(waiter);
          resolve(progress as Wanted);
        };
        progressWaiters.add(waiter);
      });
    },
    call: (channel, ...args) => invokeHandler(table, channel, args),
    async close() {
      stopForwarding();
      await daemon.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
