/**
 * Serves the IPC handler table over `ipcMain.handle`, dropping untrusted senders before any
 * logic runs (Electron checklist: validate the sender of all IPC messages). Trusted means: the
 * main frame of our window's web contents, showing our own index.html.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { IPC_INVOKE_CHANNELS, type IpcChannel, type IpcResult } from '../ipc/contract.js';
import { invokeHandler, type IpcHandlerTable } from '../ipc/handlers.js';

const DENIED: IpcResult<never> = {
  ok: false,
  error: { code: 'DENIED', message: 'This request did not come from the Token Broker window' },
};

/** Same document, ignoring the fragment (the page may route with `#`). */
function samePage(url: string, expected: string): boolean {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    return parsed.protocol === 'file:' && parsed.href === expected;
  } catch {
    return false;
  }
}

/** Returns the sender check for the window whose contents `getContents` returns. */
export function createSenderCheck(getContents: () => WebContents | undefined, expectedPageUrl: string) {
  return (event: IpcMainInvokeEvent): boolean => {
    const contents = getContents();
    const frame = event.senderFrame;
    if (contents === undefined || frame === null || frame === undefined) return false;
    return event.sender === contents && frame === contents.mainFrame && frame.parent === null && samePage(frame.url, expectedPageUrl);
  };
}

/** Registers one handler per contract channel; returns the function that removes them. */
export function bindIpc(ipcMain: IpcMain, table: IpcHandlerTable, isTrusted: (event: IpcMainInvokeEvent) => boolean): () => void {
  const channels = Object.keys(IPC_INVOKE_CHANNELS) as IpcChannel[];
  for (const channel of channels) {
    ipcMain.handle(IPC_INVOKE_CHANNELS[channel], (event, ...args: unknown[]) => {
      if (!isTrusted(event)) return DENIED;
      // Arguments are validated by each handler (main/ipc/input-schemas.ts) before any logic.
      return invokeHandler(table, channel, args as never);
    });
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(IPC_INVOKE_CHANNELS[channel]);
  };
}
