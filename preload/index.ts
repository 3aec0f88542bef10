/**
 * The sandboxed preload: exposes exactly one typed API, `window.broker`, built from the IPC
 * contract tables. No raw ipcRenderer reaches the page: calls go to the contract's channels
 * only, and `on` accepts only the contract's event names and wraps the listener so the page
 * never sees the IPC event object (Electron checklist).
 */
import { contextBridge, ipcRenderer } from 'electron';
import {
  IPC_EVENT_CHANNELS,
  IPC_INVOKE_CHANNELS,
  type BrokerApi,
  type IpcChannel,
  type IpcEvent,
  type IpcEventMap,
} from '../main/ipc/contract.js';

const isEventName = (value: unknown): value is IpcEvent =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(IPC_EVENT_CHANNELS, value);

export function buildBrokerApi(): BrokerApi {
  const calls = Object.fromEntries(
    (Object.keys(IPC_INVOKE_CHANNELS) as IpcChannel[]).map((name) => [
      name,
      (...args: unknown[]) => ipcRenderer.invoke(IPC_INVOKE_CHANNELS[name], ...args),
    ]),
  );
  const on = <E extends IpcEvent>(event: E, listener: (payload: IpcEventMap[E]) => void): (() => void) => {
    if (!isEventName(event)) throw new TypeError('Unknown broker event');
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function');
    const channel = IPC_EVENT_CHANNELS[event];
    const wrapped = (_event: unknown, payload: IpcEventMap[E]): void => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  };
  return Object.freeze({ ...calls, on }) as BrokerApi;
}

contextBridge.exposeInMainWorld('broker', buildBrokerApi());
