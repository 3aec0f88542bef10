/**
 * The transport-agnostic IPC handler table: channel → function over the core. Electron's ipcMain
 * binding (main/electron) and the renderer's browser-test harness both serve this table.
 */
import type { IpcChannel, IpcInvokeMap, IpcResult } from './contract.js';
import { BrokerError, toBrokerError } from '../core/errors.js';

export type IpcHandler<K extends IpcChannel> = (
  ...args: IpcInvokeMap[K]['args']
) => Promise<IpcInvokeMap[K]['result']> | IpcInvokeMap[K]['result'];

export type IpcHandlerTable = { readonly [K in IpcChannel]: IpcHandler<K> };

export interface HandlerDeps {
  appVersion: string;
  electronVersion?: string;
}

// Placeholder for channels the desktop-app work wires to the broker; replaced there.
const notWiredYet = (): never => {
  throw new BrokerError('INTERNAL', 'Not available yet');
};

export function createIpcHandlers(deps: HandlerDeps): IpcHandlerTable {
  return {
    listAccounts: notWiredYet,
    listPresets: notWiredYet,
    checkDiscovery: notWiredYet,
    addAccount: notWiredYet,
    updateAccount: notWiredYet,
    removeAccount: notWiredYet,
    signIn: notWiredYet,
    cancelSignIn: notWiredYet,
    openVerificationUri: notWiredYet,
    refresh: notWiredYet,
    signOut: notWiredYet,
    copyToken: notWiredYet,
    tokenDetails: notWiredYet,
    listApprovals: notWiredYet,
    answerApproval: notWiredYet,
    auditLog: notWiredYet,
    getSettings: notWiredYet,
    updateSettings: notWiredYet,
    copyTcpKey: notWiredYet,
    regenerateTcpKey: notWiredYet,
    version: () => ({
      app: deps.appVersion,
      node: process.versions.node,
      ...(deps.electronVersion === undefined ? {} : { electron: deps.electronVersion }),
    }),
  };
}

/** Runs a handler and turns whatever it throws into an error result with a code. */
export async function invokeHandler<K extends IpcChannel>(
  table: IpcHandlerTable,
  channel: K,
  args: IpcInvokeMap[K]['args'],
): Promise<IpcResult<IpcInvokeMap[K]['result']>> {
  try {
    const handler = table[channel] as (...a: unknown[]) => unknown;
    const value = (await handler(...args)) as IpcInvokeMap[K]['result'];
    return { ok: true, value };
  } catch (error) {
    const brokerError = toBrokerError(error);
    return { ok: false, error: { code: brokerError.code, message: brokerError.message } };
  }
}
