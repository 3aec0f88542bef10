/**
 * The desktop app's lifecycle: single instance, the broker daemon (core + local token API) on
 * `ready`, the locked-down window, IPC, tray, notifications and approvals; closing the window
 * hides it (the broker keeps serving scripts); quitting closes the socket and listeners and
 * flushes the vault before the process exits.
 */
import { app, clipboard, dialog, ipcMain, session, shell, type BrowserWindow } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrokerDaemon, BrokerDaemonOptions } from '../core/daemon.js';
import { toBrokerError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { BROKER_VERSION } from '../core/version.js';
import { IPC_EVENT_CHANNELS, type DiscoveryCheck, type IpcEvent, type IpcEventMap, type PresetView } from '../ipc/contract.js';
import { toAccountView, type PresetProviderFn } from '../ipc/account-mapping.js';
import { createApprovalQueue, type ApprovalQueue } from '../ipc/approvals.js';
import { createBrokerUrlRegistry, type BrokerUrlRegistry } from '../ipc/broker-urls.js';
import { createClipboardGuard } from '../ipc/clipboard-guard.js';
import { systemTimerClock, type DesktopPorts, type TimerClock, type TimerHandle } from '../ipc/desktop-ports.js';
import { createIpcHandlers, forwardBrokerEvents, invokeHandler, type IpcHandlerTable } from '../ipc/handlers.js';
import { createTcpKeyFile } from '../ipc/tcp-key-file.js';
import * as core from './core-services.js';
import { createGuardedOpener } from './external-opener.js';
import { bindIpc, createSenderCheck } from './ipc-binding.js';
import { approvalNotification, createAttentionTracker } from './notification-policy.js';
import { createNotifier } from './notifications.js';
import type { TrayAction } from './tray-model.js';
import { createTrayController, type TrayController } from './tray.js';
import { appPaths, createMainWindow, lockDownContents, lockDownSession, pageUrl, showWindow } from './window.js';

/** The tray is rebuilt on every broker event and at least this often, so countdowns stay current. */
export const TRAY_REFRESH_MS = 30_000;
/** electron-builder.yml `appId`. */
export const APP_ID = 'dev.tokenbroker.app';
/** Passed on login-item launches: start in the tray without showing the window. */
export const HIDDEN_ARG = '--hidden';

export interface AppDeps {
  /** Data directory; default TOKEN_BROKER_HOME or the OS app-data directory. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  argv?: readonly string[];
  /** Where dist/preload and dist/renderer live; default: next to the bundled main. */
  distDir?: string;
  /** Root holding build/tray and build/icon.png; default app.getAppPath(). */
  resourcesDir?: string;
  startDaemon?: (options: BrokerDaemonOptions) => Promise<BrokerDaemon>;
  presets?: readonly PresetView[];
  presetProvider?: PresetProviderFn;
  discover?: (issuer: string) => Promise<DiscoveryCheck>;
  clock?: TimerClock;
  logger?: Logger;
  platform?: NodeJS.Platform;
}

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

const consoleLogger: Logger = {
  info: (line) => console.info(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

const bundledDistDir = (): string => join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Starts the app. Resolves with the running app, or undefined when another instance already
 * runs (this one quits) or the broker could not start (an error box explains, then exit 1).
 */
export async function startApp(deps: AppDeps = {}): Promise<RunningApp | undefined> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }

  // Set once the window exists; lifecycle events can arrive before that.
  const windowRef: { current?: BrowserWindow } = {};
  const focusWindow = (): void => {
    if (windowRef.current !== undefined) showWindow(windowRef.current);
  };
  app.on('second-instance', focusWindow);
  app.on('activate', focusWindow);
  // The window only hides on close; should it ever be gone, keep serving from the tray.
  app.on('window-all-closed', () => {});
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));

  await app.whenReady();
  lockDownSession(session.defaultSession);

  const env = deps.env ?? process.env;
  const clock = deps.clock ?? systemTimerClock;
  const logger = deps.logger ?? consoleLogger;
  const platform = deps.platform ?? process.platform;
  // Windows shows notifications only for an app with an AppUserModelID (the installer's appId).
  if (platform === 'win32') app.setAppUserModelId(APP_ID);
  const dataDir = deps.dataDir ?? core.resolveDataDir(env);

  const urls = createBrokerUrlRegistry();
  const approvals = createApprovalQueue({ clock });
  const openExternal = createGuardedOpener(urls, (url) => shell.openExternal(url));
  const startDaemon = deps.startDaemon ?? core.startBrokerDaemon;

  let daemon: BrokerDaemon;
  try {
    daemon = await startDaemon({
      dataDir,
      env,
      approvals,
      // The broker calls this with the URL it just built, so it is by definition one of ours.
      openBrowser: async (url) => {
        urls.rememberBuilt(undefined, url);
        await openExternal(url);
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
  const { broker, configStore } = daemon;

  const clipboardGuard = createClipboardGuard({
    clipboard,
    clock,
    onError: (error) => logger.warn(`[electron] clearing the clipboard failed: ${toBrokerError(error).code}`),
  });
  const loginItem = {
    set: (openAtLogin: boolean) => app.setLoginItemSettings({ openAtLogin, args: [HIDDEN_ARG] }),
  };
  const desktop: DesktopPorts = {
    clipboard,
    openExternal,
    loginItem,
    // The file the running listener reads its key from: "Regenerate key" must replace that one.
    tcpKey: createTcpKeyFile(daemon.tcpKeyFile),
  };
  const handlers = createIpcHandlers({
    appVersion: safeAppVersion(),
    ...(process.versions.electron === undefined ? {} : { electronVersion: process.versions.electron }),
    broker,
    configStore,
    presets: deps.presets ?? core.presets,
    presetProvider: deps.presetProvider ?? core.presetProvider,
    discover: deps.discover ?? core.discover,
    desktop,
    approvals,
    urls,
    api: {
      socketPath: daemon.socketPath,
      tcpAddress: () => daemon.api.tcpAddress,
      // Settings and "Regenerate key" apply to the running listener: no restart.
      applyTcpListener: (tcp) => daemon.applyTcpListener(tcp),
    },
    clock,
    clipboardGuard,
  });

  const paths = appPaths(deps.distDir ?? bundledDistDir());
  const resourcesDir = deps.resourcesDir ?? app.getAppPath();
  const emit = <E extends IpcEvent>(event: E, payload: IpcEventMap[E]): void => {
    const window = windowRef.current;
    // Only our own window ever receives broker events.
    if (window !== undefined && !window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNELS[event], payload);
  };
  const stopForwarding = forwardBrokerEvents({ broker, approvals, urls, emit });
  const unbindIpc = bindIpc(
    ipcMain,
    handlers,
    createSenderCheck(() => windowRef.current?.webContents, pageUrl(paths)),
  );

  const argv = deps.argv ?? process.argv;
  const mainWindow = createMainWindow(paths, {
    show: !argv.includes(HIDDEN_ARG),
    ...(platform === 'linux' ? { icon: join(resourcesDir, 'build/icon.png') } : {}),
  });
  windowRef.current = mainWindow;

  let quitting = false;
  mainWindow.on('close', (event) => {
    if (quitting) return;
    // Closing hides to the tray: scripts keep getting tokens.
    event.preventDefault();
    mainWindow.hide();
  });

  const notify = createNotifier(focusWindow);
  const attention = createAttentionTracker();
  const offNotifications = broker.on((event) => {
    const content = attention.next(event);
    if (content !== undefined) notify(content);
  });
  const offApprovalPrompt = approvals.on((event) => {
    if (event.type !== 'requested') return;
    focusWindow();
    notify(approvalNotification(event.request.account, event.request.client));
  });

  const runTrayAction = async (action: TrayAction): Promise<void> => {
    switch (action.type) {
      case 'open':
        focusWindow();
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
        focusWindow();
        // The password grant needs the form in the window; everything else can start from here.
        const grant = broker.listAccounts().find((account) => account.name === action.account)?.grant;
        if (grant !== 'password') await reportFailure('Sign-in failed', invokeHandler(handlers, 'signIn', [action.account]));
        return;
      }
    }
  };
  const reportFailure = async (title: string, pending: ReturnType<typeof invokeHandler>): Promise<void> => {
    const result = await pending;
    if (!result.ok) notify({ title, body: result.error.message });
  };

  const tray = createTrayController({
    iconsDir: join(resourcesDir, 'build/tray'),
    platform,
    onAction: (action) => void runTrayAction(action),
  });
  const refreshTray = (): void => {
    tray.update(broker.listAccounts().map(toAccountView), clock.now());
  };
  const offTray = broker.on(() => refreshTray());
  let trayTimer: TimerHandle | undefined;
  const scheduleTray = (): void => {
    trayTimer = clock.setTimeout(() => {
      refreshTray();
      scheduleTray();
    }, TRAY_REFRESH_MS);
  };
  refreshTray();
  scheduleTray();

  // Keep the OS login item in step with the saved setting (it may have been edited in config.json).
  loginItem.set(configStore.get().settings.startAtLogin);

  let shutdown: Promise<void> | undefined;
  let exiting = false;
  const shutDown = async (): Promise<void> => {
    if (trayTimer !== undefined) clock.clearTimeout(trayTimer);
    offTray();
    offNotifications();
    offApprovalPrompt();
    stopForwarding();
    unbindIpc();
    approvals.dispose();
    await clipboardGuard.flush().catch(() => undefined);
    tray.destroy();
    try {
      // Closes the socket and TCP listener, waits for vault writes, closes the vault.
      await daemon.close();
    } catch (error) {
      logger.error(`[electron] shutdown: ${toBrokerError(error).code}`);
    }
  };
  app.on('before-quit', (event) => {
    if (exiting) return;
    event.preventDefault();
    quitting = true;
    shutdown ??= shutDown().finally(() => {
      exiting = true;
      app.exit(0);
    });
  });

  logger.info(`[electron] serving on ${daemon.socketPath}`);
  return {
    window: mainWindow,
    daemon,
    handlers,
    approvals,
    urls,
    tray,
    openExternal,
    runTrayAction,
    quit: () => {
      app.quit();
      return shutdown ?? Promise.resolve();
    },
  };
}

function safeAppVersion(): string {
  try {
    return app.getVersion();
  } catch {
    return BROKER_VERSION;
  }
}
