/**
 * The handler table over the real daemon (config, keychain vault, broker, token API) in a temp
 * home, with in-memory desktop ports. No Electron: this is what the renderer's browser harness
 * serves too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, presetProvider } from '../../../main/core/accounts/presets.js';
import { API_KEY_FILE, startBrokerDaemon, type BrokerDaemon } from '../../../main/core/daemon.js';
import { discover } from '../../../main/electron/core-services.js';
import type { IpcChannel, IpcEvent, IpcEventMap, IpcInvokeMap, IpcResult } from '../../../main/ipc/contract.js';
import { createApprovalQueue, type ApprovalQueue } from '../../../main/ipc/approvals.js';
import { createBrokerUrlRegistry } from '../../../main/ipc/broker-urls.js';
import type { DesktopPorts } from '../../../main/ipc/desktop-ports.js';
import { createIpcHandlers, forwardBrokerEvents, invokeHandler, type IpcHandlerTable } from '../../../main/ipc/handlers.js';
import { createTcpKeyFile } from '../../../main/ipc/tcp-key-file.js';
import { createFakeTimerClock, type FakeTimerClock } from '../support/fake-timer-clock.js';

export interface HandlerRig {
  home: string;
  daemon: BrokerDaemon;
  table: IpcHandlerTable;
  clock: FakeTimerClock;
  approvals: ApprovalQueue;
  clipboard: { text: string };
  opened: string[];
  loginItem: boolean[];
  events: Array<{ event: IpcEvent; payload: unknown }>;
  call<K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']): Promise<IpcResult<IpcInvokeMap[K]['result']>>;
  ok<K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']): Promise<IpcInvokeMap[K]['result']>;
  close(): Promise<void>;
}

export async function startHandlerRig(): Promise<HandlerRig> {
  const home = await mkdtemp(join(tmpdir(), 'tb-ipc-'));
  const clock = createFakeTimerClock(Date.now());
  const urls = createBrokerUrlRegistry();
  const approvals = createApprovalQueue({ clock });
  const daemon = await startBrokerDaemon({ dataDir: home, env: { TOKEN_BROKER_HOME: home }, approvals });
  const clipboard = { text: '' };
  const opened: string[] = [];
  const loginItem: boolean[] = [];
  const events: Array<{ event: IpcEvent; payload: unknown }> = [];
  const desktop: DesktopPorts = {
    clipboard: {
      writeText: async (text) => {
        clipboard.text = text;
      },
      readText: async () => clipboard.text,
    },
    openExternal: async (url) => {
      if (!urls.isBrokerUrl(url)) throw new Error('not a broker URL');
      opened.push(url);
    },
    loginItem: { set: (value) => loginItem.push(value) },
    tcpKey: createTcpKeyFile(join(home, API_KEY_FILE)),
  };
  const table = createIpcHandlers({
    appVersion: '1.2.3',
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
    clock,
  });
  const stop = forwardBrokerEvents({
    broker: daemon.broker,
    approvals,
    urls,
    emit: <E extends IpcEvent>(event: E, payload: IpcEventMap[E]) => events.push({ event, payload: structuredClone(payload) }),
  });
  const call = <K extends IpcChannel>(channel: K, ...args: IpcInvokeMap[K]['args']) => invokeHandler(table, channel, args);
  return {
    home,
    daemon,
    table,
    clock,
    approvals,
    clipboard,
    opened,
    loginItem,
    events,
    call,
    async ok(channel, ...args) {
      const result = await call(channel, ...args);
      if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
      return result.value;
    },
    async close() {
      stop();
      approvals.dispose();
      await daemon.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
