/**
 * What the app's setup steps share: the dependencies with their defaults filled in (the real
 * core, the system clock, the console) and the one main window, once it exists.
 */
import { app, type BrowserWindow } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrokerDaemon, BrokerDaemonOptions } from '../core/daemon.js';
import type { Logger } from '../core/ports.js';
import type { PresetProviderFn } from '../ipc/account-mapping.js';
import { IPC_EVENT_CHANNELS, type DiscoveryCheck, type IpcEvent, type IpcEventMap, type PresetView } from '../ipc/contract.js';
import { systemTimerClock, type TimerClock } from '../ipc/desktop-ports.js';
import * as core from './core-services.js';
import { appPaths, showWindow, type WindowPaths } from './window.js';

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

/** {@link AppDeps} with every default applied. */
export interface AppContext {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  argv: readonly string[];
  paths: WindowPaths;
  resourcesDir: string;
  startDaemon: (options: BrokerDaemonOptions) => Promise<BrokerDaemon>;
  presets: readonly PresetView[];
  presetProvider: PresetProviderFn;
  discover: (issuer: string) => Promise<DiscoveryCheck>;
  clock: TimerClock;
  logger: Logger;
  platform: NodeJS.Platform;
}

const consoleLogger: Logger = {
  info: (line) => console.info(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

const bundledDistDir = (): string => join(dirname(fileURLToPath(import.meta.url)), '..');

/** Fills in the defaults; call once the app is ready (`app.getAppPath()`). */
export function resolveAppContext(deps: AppDeps): AppContext {
  const env = deps.env ?? process.env;
  return {
    env,
    dataDir: deps.dataDir ?? core.resolveDataDir(env),
    argv: deps.argv ?? process.argv,
    paths: appPaths(deps.distDir ?? bundledDistDir()),
    resourcesDir: deps.resourcesDir ?? app.getAppPath(),
    startDaemon: deps.startDaemon ?? core.startBrokerDaemon,
    presets: deps.presets ?? core.presets,
    presetProvider: deps.presetProvider ?? core.presetProvider,
    discover: deps.discover ?? core.discover,
    clock: deps.clock ?? systemTimerClock,
    logger: deps.logger ?? consoleLogger,
    platform: deps.platform ?? process.platform,
  };
}

/**
 * The one main window, as the steps that need it see it. Lifecycle events (a second launch,
 * `activate`) can arrive before it exists; they then do nothing.
 */
export interface WindowSlot {
  current: BrowserWindow | undefined;
  /** Set when shutdown starts: closing the window then no longer just hides it. */
  quitting: boolean;
  /** Shows and focuses the window, if there is one. */
  focus(): void;
  /** Sends a broker event to our window, and only to it. */
  send<E extends IpcEvent>(event: E, payload: IpcEventMap[E]): void;
}

export function createWindowSlot(): WindowSlot {
  const slot: WindowSlot = {
    current: undefined,
    quitting: false,
    focus() {
      if (slot.current !== undefined) showWindow(slot.current);
    },
    send(event, payload) {
      const window = slot.current;
      if (window !== undefined && !window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNELS[event], payload);
    },
  };
  return slot;
}
