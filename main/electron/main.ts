/**
 * Electron main process entry: the only place (with its siblings in main/electron) that
 * imports 'electron'.
 */
import { app, ipcMain } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_INVOKE_CHANNELS, type IpcChannel } from '../ipc/contract.js';
import { createIpcHandlers, invokeHandler } from '../ipc/handlers.js';
import { appPaths, createMainWindow, lockDownSession } from './window.js';

const distDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export function bindIpc(table: ReturnType<typeof createIpcHandlers>, isTrustedSender: (url: string) => boolean): void {
  for (const channel of Object.keys(IPC_INVOKE_CHANNELS) as IpcChannel[]) {
    ipcMain.handle(IPC_INVOKE_CHANNELS[channel], (event, ...args: unknown[]) => {
      const url = event.senderFrame?.url ?? '';
      if (!isTrustedSender(url)) return { ok: false, error: { code: 'DENIED', message: 'Untrusted sender' } };
      return invokeHandler(table, channel, args as never);
    });
  }
}

export async function startApp(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  lockDownSession();
  const paths = appPaths(distDir);
  const pageUrl = new URL(`file://${paths.indexHtml}`).href;
  bindIpc(createIpcHandlers({ appVersion: app.getVersion(), electronVersion: process.versions.electron }), (url) => url === pageUrl);
  createMainWindow(paths);
}

void startApp();
