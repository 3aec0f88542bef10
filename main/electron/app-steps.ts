/**
 * The setup steps `startApp` (app.ts) runs, one job each. A step that leaves something running
 * (a listener, a timer, a tray icon, the daemon) adds the teardown for it to the app's
 * {@link DisposableStore} right there, so quitting undoes the steps in reverse order.
 */
import { app, clipboard, dialog, ipcMain, shell, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import type { BrokerDaemon } from '../core/daemon.js';
import { toBrokerError } from '../core/errors.js';
import type { BrokerService } from '../core/broker/index.js';
import { BROKER_VERSION } from '../core/version.js';
import { toAccountView } from '../ipc/account-mapping.js';
import type { ApprovalQueue } from '../ipc/approvals.js';
import type { BrokerUrlRegistry } from '../ipc/broker-urls.js';
import { createClipboardGuard, type ClipboardGuard } from '../ipc/clipboard-guard.js';
import type { LoginItemPort, TimerHandle } from '../ipc/desktop-ports.js';
import { createIpcHandlers, forwardBrokerEvents, invokeHandler, type ApiInfoPort, type IpcHandlerTable } from '../ipc/handlers.js';
import { createTcpKeyFile } from '../ipc/tcp-key-file.js';
import type { AppContext, WindowSlot } from './app-context.js';
import type { DisposableStore } from './disposables.js';
import { createGuardedOpener } from './external-opener.js';
import { bindIpc, createSenderCheck } from './ipc-binding.js';
import { approvalNotification, createAttentionTracker } from './notification-policy.js';
import type { Notify } from './notifications.js';
import type { TrayAction } from './tray-model.js';
import { createTrayController, type TrayController } from './tray.js';
import { createMainWindow, lockDownContents, pageUrl } from './window.js';
import { GRANT_TRAITS } from '../shared/grants.js';
import type { TcpListenerStatus } from '../core/api/server.js';

/** The tray is rebuilt on every broker event and at least this often, so countdowns stay current. */
export const TRAY_REFRESH_MS = 30_000;
/** electron-builder.yml `appId`. */
export const APP_ID = 'dev.tokenbroker.app';
/** Passed on login-item launches: start in the tray without showing the window. */
export const HIDDEN_ARG = '--hidden';

/** Takes the single-instance lock; without it this instance quits (the other one gets focused). */
export function claimSingleInstance(): boolean {
  if (app.requestSingleInstanceLock()) return true;
  app.quit();
  return false;
}

/** A second launch or a dock click brings the window forward; every web contents is locked down. */
export function followAppEvents(window: WindowSlot): void {
  app.on('second-instance', () => window.focus());
  app.on('activate', () => window.focus());
  // The window only hides on close; should it ever be gone, keep serving from the tray.
  app.on('window-all-closed', () => {});
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
}

/** Windows shows notifications only for an app with an AppUserModelID (the installer's appId). */
export function identifyApp(platform: NodeJS.Platform): void {
  if (platform === 'win32') app.setAppUserModelId(APP_ID);
}

/** The system browser, for http(s) URLs the broker built and nothing else (external-opener.ts). */
export function systemBrowser(urls: BrokerUrlRegistry): (url: string) => Promise<void> {
  return createGuardedOpener(urls, (url) => shell.openExternal(url));
}

/**
 * Starts the broker daemon (config, vault, broker, token API on the socket and the saved TCP
 * listener) and closes it last at quit. When it cannot start, an error box explains why and the
 * app exits 1: resolves undefined.
 */
export async function startBroker(
  ctx: AppContext,
  ports: { approvals: ApprovalQueue; urls: BrokerUrlRegistry; openExternal: (url: string) => Promise<void> },
  disposables: DisposableStore,
): Promise<BrokerDaemon | undefined> {
  const { logger } = ctx;
  let daemon: BrokerDaemon;
  try {
    daemon = await ctx.startDaemon({
      dataDir: ctx.dataDir,
      env: ctx.env,
      approvals: ports.approvals,
      // The broker calls this with the URL it just built, so it is by definition one of ours.
      openBrowser: async (url) => {
        ports.urls.rememberBuilt(undefined, url);
        await ports.openExternal(url);
      },
      logger,
    });
  } catch (error) {
    const brokerError = toBrokerError(error, 'The broker could not start');
    logger.error(`[electron] broker failed to start: ${brokerError.code}`);
    dialog.showErrorBox('Token Broker could not start', `${brokerError.message} (${brokerError.code})`);
    app.exit(1);
    return undefined;
  }
  // Closes the socket and TCP listener, waits for vault writes, closes the vault.
  disposables.add(() => daemon.close());
  return daemon;
}

/** Approval requests still waiting at quit are denied, before the socket closes under them. */
export function denyApprovalsAtQuit(approvals: ApprovalQueue, disposables: DisposableStore): void {
  disposables.add(() => approvals.dispose());
}

/** "Copy access token" clears the clipboard after a while, and at quit if it still holds the secret. */
export function guardClipboard(ctx: AppContext, disposables: DisposableStore): ClipboardGuard {
  const guard = createClipboardGuard({
    clipboard,
    clock: ctx.clock,
    onError: (error) => ctx.logger.warn(`[electron] clearing the clipboard failed: ${toBrokerError(error).code}`),
  });
  disposables.add(() => guard.flush());
  return guard;
}

/** The OS login item: started at login, the app starts hidden in the tray. */
export function loginItemPort(): LoginItemPort {
  return { set: (openAtLogin) => app.setLoginItemSettings({ openAtLogin, args: [HIDDEN_ARG] }) };
}

/** The running token API as the settings page sees it: socket, TCP listener address, live re-binding. */
export function tokenApiInfo(daemon: BrokerDaemon): ApiInfoPort {
  return {
    socketPath: daemon.socketPath,
    tcpAddress: () => daemon.api.tcpAddress,
    tcpProblem: () => {
      const status = daemon.api.tcpStatus;
      return status.state === 'failed' ? status.error.message : undefined;
    },
    // Settings and "Regenerate key" apply to the running listener: no restart.
    applyTcpListener: (tcp) => daemon.applyTcpListener(tcp),
  };
}

/**
 * The IPC handler table over the daemon, served on ipcMain to our own page only, with the
 * broker's events forwarded to the window. Both stop at quit.
 */
export function serveIpc(
  ctx: AppContext,
  parts: {
    daemon: BrokerDaemon;
    approvals: ApprovalQueue;
    urls: BrokerUrlRegistry;
    openExternal: (url: string) => Promise<void>;
    clipboardGuard: ClipboardGuard;
    loginItem: LoginItemPort;
    window: WindowSlot;
  },
  disposables: DisposableStore,
): IpcHandlerTable {
  const { daemon, approvals, urls, window } = parts;
  const handlers = createIpcHandlers({
    appVersion: safeAppVersion(),
    ...(process.versions.electron === undefined ? {} : { electronVersion: process.versions.electron }),
    broker: daemon.broker,
    configStore: daemon.configStore,
    presets: ctx.presets,
    presetProvider: ctx.presetProvider,
    discover: ctx.discover,
    desktop: {
      clipboard,
      openExternal: parts.openExternal,
      loginItem: parts.loginItem,
      // The file the running listener reads its key from: "Regenerate key" must replace that one.
      tcpKey: createTcpKeyFile(daemon.tcpKeyFile),
    },
    approvals,
    urls,
    api: tokenApiInfo(daemon),
    clock: ctx.clock,
    clipboardGuard: parts.clipboardGuard,
  });
  disposables.add(forwardBrokerEvents({ broker: daemon.broker, approvals, urls, emit: window.send }));
  disposables.add(
    bindIpc(
      ipcMain,
      handlers,
      createSenderCheck(() => window.current?.webContents, pageUrl(ctx.paths)),
    ),
  );
  return handlers;
}

/** The locked-down main window; closing it hides it (scripts keep getting tokens) unless quitting. */
export function openMainWindow(ctx: AppContext, window: WindowSlot): BrowserWindow {
  const mainWindow = createMainWindow(ctx.paths, {
    show: !ctx.argv.includes(HIDDEN_ARG),
    ...(ctx.platform === 'linux' ? { icon: join(ctx.resourcesDir, 'build/icon.png') } : {}),
  });
  window.current = mainWindow;
  mainWindow.on('close', (event) => {
    if (window.quitting) return;
    event.preventDefault();
    mainWindow.hide();
  });
  return mainWindow;
}

/** A notification when an account turns expired, needs sign-in or fails (once per change). */
export function notifyAttention(broker: BrokerService, notify: Notify, disposables: DisposableStore): void {
  const attention = createAttentionTracker();
  disposables.add(
    broker.on((event) => {
      const content = attention.next(event);
      if (content !== undefined) notify(content);
    }),
  );
}

/** A script asking for an `approval: ask` account brings the window forward with a notification. */
export function promptForApprovals(approvals: ApprovalQueue, window: WindowSlot, notify: Notify, disposables: DisposableStore): void {
  disposables.add(
    approvals.on((event) => {
      if (event.type !== 'requested') return;
      window.focus();
      notify(approvalNotification(event.request.account, event.request.client));
    }),
  );
}

/** What a click on a tray menu item does; a failure shows as a notification. */
export function trayActions(parts: {
  handlers: IpcHandlerTable;
  broker: BrokerService;
  window: WindowSlot;
  notify: Notify;
}): (action: TrayAction) => Promise<void> {
  const { handlers, broker, window, notify } = parts;
  const reportFailure = async (title: string, pending: ReturnType<typeof invokeHandler>): Promise<void> => {
    const result = await pending;
    if (!result.ok) notify({ title, body: result.error.message });
  };
  return async (action) => {
    switch (action.type) {
      case 'open':
        window.focus();
        return;
      case 'quit':
        app.quit();
        return;
      case 'refresh':
        await reportFailure('Refresh failed', invokeHandler(handlers, 'refresh', [action.account]));
        return;
      case 'copy-token':
        await reportFailure('Could not copy the token', invokeHandler(handlers, 'copyToken', [action.account]));
        return;
      case 'sign-in': {
        window.focus();
        // The password grant needs the form in the window; everything else can start from here.
        const grant = broker.listAccounts().find((account) => account.name === action.account)?.grant;
        if (grant === undefined || !GRANT_TRAITS[grant].needsPassword)
          await reportFailure('Sign-in failed', invokeHandler(handlers, 'signIn', [action.account]));
        return;
      }
    }
  };
}

/** The tray icon and menu, rebuilt on every broker event and every {@link TRAY_REFRESH_MS}. */
export function showTray(
  ctx: AppContext,
  broker: BrokerService,
  onAction: (action: TrayAction) => Promise<void>,
  disposables: DisposableStore,
  problems: () => readonly string[] = () => [],
): TrayController {
  const { clock } = ctx;
  const tray = createTrayController({
    iconsDir: join(ctx.resourcesDir, 'build/tray'),
    platform: ctx.platform,
    onAction: (action) => void onAction(action),
  });
  disposables.add(() => tray.destroy());
  const refresh = (): void => {
    tray.update(broker.listAccounts().map(toAccountView), clock.now(), problems());
  };
  disposables.add(broker.on(() => refresh()));
  let timer: TimerHandle | undefined;
  const schedule = (): void => {
    timer = clock.setTimeout(() => {
      refresh();
      schedule();
    }, TRAY_REFRESH_MS);
  };
  disposables.add(() => {
    if (timer !== undefined) clock.clearTimeout(timer);
  });
  refresh();
  schedule();
  return tray;
}

/** Keeps the OS login item in step with the saved setting (it may have been edited in config.json). */
export function syncLoginItem(daemon: BrokerDaemon, loginItem: LoginItemPort): void {
  loginItem.set(daemon.configStore.get().settings.startAtLogin);
}

/**
 * Quitting runs the teardowns (reverse setup order, each failure logged), then exits 0. The
 * first `before-quit` is held until they finished; later ones wait for the same shutdown.
 * Returns what `RunningApp.quit` does: `app.quit()` and wait until the process was told to exit.
 */
export function quitAfterTeardown(window: WindowSlot, disposables: DisposableStore): () => Promise<void> {
  let shutdown: Promise<void> | undefined;
  let exiting = false;
  app.on('before-quit', (event) => {
    if (exiting) return;
    event.preventDefault();
    window.quitting = true;
    shutdown ??= disposables.dispose().finally(() => {
      exiting = true;
      app.exit(0);
    });
  });
  return () => {
    app.quit();
    return shutdown ?? Promise.resolve();
  };
}

/** Logs a teardown that failed at quit by its error code; the other teardowns still run. */
export function logShutdownError(ctx: AppContext): (error: unknown) => void {
  return (error) => ctx.logger.error(`[electron] shutdown: ${toBrokerError(error).code}`);
}

function safeAppVersion(): string {
  try {
    return app.getVersion();
  } catch {
    return BROKER_VERSION;
  }
}

/**
 * The TCP listener's trouble as the tray shows it: a port another program holds means clients may
 * be sending their requests (and, before it was revoked, the key) to that program.
 */
export function tcpListenerProblems(status: TcpListenerStatus): string[] {
  return status.state === 'failed' ? [`TCP listener not running: port ${status.port} is taken (key revoked)`] : [];
}
