/**
 * Boots the real main entry (main/electron/main.ts `startApp`) against the electron fake, with
 * the real daemon (config, keychain-backed vault, broker, token API on a Unix socket) in a temp
 * TOKEN_BROKER_HOME, and the real authorization server fixture. Only time is fake.
 * The test file must `vi.mock('electron', ...)` before importing this.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../../main/core/ports.js';
import { IPC_INVOKE_CHANNELS, type IpcChannel, type IpcInvokeMap, type IpcResult } from '../../../main/ipc/contract.js';
import { startApp, type AppDeps, type RunningApp } from '../../../main/electron/main.js';
import { beforeEach } from 'vitest';
import { fake, resetElectronFake } from '../../support/electron-fake.js';
import { useTracked } from '../../support/fixtures.js';
import { createFakeTimerClock, type FakeTimerClock } from '../../support/fake-timer-clock.js';

import { valueOf } from '../../support/ipc-rig.js';

export { clientCredentialsDraft } from '../../support/ipc-rig.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const DIST_DIR = join(REPO_ROOT, 'dist');
/** The one page whose IPC calls are trusted. */
export const PAGE_URL = pathToFileURL(join(DIST_DIR, 'renderer/index.html')).href;

export interface Booted {
  app: RunningApp;
  home: string;
  clock: FakeTimerClock;
  /** Invokes a channel as the app's own page would (through the fake ipcMain and the sender check). */
  call<K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']): Promise<IpcResult<IpcInvokeMap[K]['result']>>;
  /** Same, but succeeds or throws. */
  ok<K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']): Promise<IpcInvokeMap[K]['result']>;
  /** Quits (if still running) and removes the temp home. */
  dispose(): Promise<void>;
  /** Quits (if still running) and keeps the home for another boot. */
  stop(): Promise<void>;
}

/**
 * The app fixture: the electron fake reset before each test, and every app a test booted quit
 * (and its temp home removed) after it. Returns {@link bootApp}, with that bookkeeping.
 */
export function useBootedApps(): typeof bootApp {
  beforeEach(() => resetElectronFake());
  const track = useTracked<Booted>((booted) => booted.dispose());
  return async (deps, options) => track(await bootApp(deps, options));
}

/** Boots the app; pass `home` to start again on the data directory of an earlier run. */
export async function bootApp(deps: Partial<AppDeps> = {}, options: { home?: string } = {}): Promise<Booted> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), 'tb-app-')));
  const clock = createFakeTimerClock(Date.now());
  const env: NodeJS.ProcessEnv = { ...process.env, TOKEN_BROKER_HOME: home };
  delete env.TOKEN_BROKER_SOCKET;
  delete env.TOKEN_BROKER_PASSPHRASE_FILE;
  const app = await startApp({
    dataDir: home,
    env,
    argv: [],
    distDir: DIST_DIR,
    resourcesDir: REPO_ROOT,
    clock,
    logger: silentLogger,
    platform: 'linux',
    ...deps,
  });
  if (app === undefined) throw new Error('the app did not start');
  const call = <K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']) =>
    fake.ipcMain.invoke(IPC_INVOKE_CHANNELS[channel], PAGE_URL, ...args) as Promise<IpcResult<IpcInvokeMap[K]['result']>>;
  return {
    app,
    home,
    clock,
    call,
    ok: async (channel, ...args) => valueOf(channel, await call(channel, ...args)),
    async dispose() {
      if (fake.app.exitCode === undefined) await app.quit();
      await rm(home, { recursive: true, force: true });
    },
    async stop() {
      if (fake.app.exitCode === undefined) await app.quit();
    },
  };
}

/** GET over the broker's Unix socket, like `curl --unix-socket`. */
export function socketGet(
  socketPath: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ socketPath, path, method: 'GET', headers: { host: 'broker', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON; keep the text
        }
        resolvePromise({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `check` passes (real I/O settles on its own time; no fixed sleeps). */
export async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}
