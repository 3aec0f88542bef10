/**
 * The desktop app's lifecycle, as a list of setup steps (app-steps.ts) that share one
 * disposable store (disposables.ts): single instance, the broker daemon (core + local token API) on
 * `ready`, IPC, the locked-down window, notifications, approvals and the tray. Closing the window
 * hides it (the broker keeps serving scripts); quitting undoes the steps in reverse order, so the
 * socket and listeners close and the vault is flushed last, before the process exits.
 */
import { app, session, type BrowserWindow } from 'electron';
import type { BrokerDaemon } from '../core/daemon.js';
import { createApprovalQueue, type ApprovalQueue } from '../ipc/approvals.js';
import { createBrokerUrlRegistry, type BrokerUrlRegistry } from '../ipc/broker-urls.js';
import type { IpcHandlerTable } from '../ipc/handlers.js';
import { createWindowSlot, resolveAppContext, type AppDeps } from './app-context.js';
import {
  claimSingleInstance,
  denyApprovalsAtQuit,
  followAppEvents,
  guardClipboard,
  identifyApp,
  logShutdownError,
  loginItemPort,
  notifyAttention,
  openMainWindow,
  promptForApprovals,
  quitAfterTeardown,
  serveIpc,
  showTray,
  startBroker,
  syncLoginItem,
  systemBrowser,
  tcpListenerProblems,
  trayActions,
} from './app-steps.js';
import { createDisposableStore } from './disposables.js';
import { createNotifier } from './notifications.js';
import type { TrayAction } from './tray-model.js';
import type { TrayController } from './tray.js';
import { lockDownSession } from './window.js';

export type { AppDeps } from './app-context.js';
export { APP_ID, HIDDEN_ARG, TRAY_REFRESH_MS } from './app-steps.js';

export interface RunningApp {
  window: BrowserWindow;
  daemon: BrokerDaemon;
  handlers: IpcHandlerTable;
  approvals: ApprovalQueue;
  urls: BrokerUrlRegistry;
  tray: TrayController;
  /** Opens a URL in the system browser if the broker built it; DENIED otherwise. */
  openExternal: (url: string) => Promise<void>;
  /** Runs a tray menu action (what a click on the item does). */
  runTrayAction: (action: TrayAction) => Promise<void>;
  /** `app.quit()` and wait until shutdown finished and the process was told to exit. */
  quit: () => Promise<void>;
}

/**
 * Starts the app. Resolves with the running app, or undefined when another instance already
 * runs (this one quits) or the broker could not start (an error box explains, then exit 1).
 */
export async function startApp(deps: AppDeps = {}): Promise<RunningApp | undefined> {
  if (!claimSingleInstance()) return undefined;
  const window = createWindowSlot();
  followAppEvents(window);
  await app.whenReady();
  lockDownSession(session.defaultSession);

  const ctx = resolveAppContext(deps);
  identifyApp(ctx.platform);
  const disposables = createDisposableStore(logShutdownError(ctx));
  const urls = createBrokerUrlRegistry();
  const approvals = createApprovalQueue({ clock: ctx.clock });
  const openExternal = systemBrowser(urls);

  const daemon = await startBroker(ctx, { approvals, urls, openExternal }, disposables);
  if (daemon === undefined) return undefined;
  denyApprovalsAtQuit(approvals, disposables);
  const clipboardGuard = guardClipboard(ctx, disposables);
  const loginItem = loginItemPort();
  const handlers = serveIpc(ctx, { daemon, approvals, urls, openExternal, clipboardGuard, loginItem, window }, disposables);
  const mainWindow = openMainWindow(ctx, window);
  const notify = createNotifier(() => window.focus());
  notifyAttention(daemon.broker, notify, disposables);
  promptForApprovals(approvals, window, notify, disposables);
  const runTrayAction = trayActions({ handlers, broker: daemon.broker, window, notify });
  const tray = showTray(ctx, daemon.broker, runTrayAction, disposables, () => tcpListenerProblems(daemon.api.tcpStatus));
  syncLoginItem(daemon, loginItem);
  const quit = quitAfterTeardown(window, disposables);

  ctx.logger.info(`[electron] serving on ${daemon.socketPath}`);
  return {
    window: mainWindow,
    daemon,
    handlers,
    approvals,
    urls,
    tray,
    openExternal,
    runTrayAction,
    quit,
  };
}
