/**
 * The broker daemon: everything between a data directory and a listening token API, shared by
 * `token-broker serve` (headless) and the Electron app (which passes its approval port and
 * browser opener).
 *
 * Start order: private data directory → config → keychain + vault → HTTP client → broker → API.
 * `close()` undoes it in reverse, and a failure half-way closes what was already open.
 *
 * The TCP listener is optional and follows the settings while the daemon runs
 * ({@link BrokerDaemon.applyTcpListener}). A listener that cannot start (port taken, key file
 * readable by others) is logged and left off rather than keeping the broker from serving its socket.
 * The same goes for the authenticating proxies declared in config.json (`proxies`), started after
 * the API and closed before it; `POST /v1/proxies` starts more on request (`token-broker proxy`).
 */
import { join } from 'node:path';
import { openConfigStore, type ConfigStore } from './accounts/config-store.js';
import type { Settings } from './accounts/model.js';
import { startApiServer, type ApiServer } from './api/server.js';
import { createBroker } from './broker/index.js';
import { toBrokerError } from './errors.js';
import type { ApprovalPort, BrokerService } from './broker/types.js';
import { ensurePrivateDir } from './data-dir.js';
import { createIdleCompactor } from './heap-compaction.js';
import { createLazyHttpClient } from './oauth/lazy-http.js';
import type { ProxySpec } from './proxy/account-proxy.js';
import type { RunningProxy } from './proxy/proxy-server.js';
import { silentLogger, type BrowserOpener, type Logger } from './ports.js';
import { assertSocketPathFits } from './api/socket-guard.js';
import { defaultSocketPath, isWindowsPipe } from './socket-path.js';
import { createKeytarSecretStore, keytarInChildProcess } from './vault/keychain.js';
import { openVault } from './vault/index.js';

export { defaultSocketPath } from './socket-path.js';

export interface BrokerDaemonOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Where keytar runs: in this process (default; the desktop app), or in a short-lived helper
   * process per keychain call (`helper`: the headless `serve`, which then never maps libsecret
   * and its libraries — ~6 MB resident for a daemon that reads one key at start).
   */
  keychain?: 'in-process' | 'helper';
  /**
   * Fail the start when the TCP listener is enabled but cannot bind (`serve --tcp-required`);
   * `settings.tcpListener.required` asks the same. Otherwise the broker runs without it.
   */
  tcpRequired?: boolean;
  /** The GUI's approval prompt; without one, `approval: ask` accounts are denied. */
  approvals?: ApprovalPort;
  openBrowser?: BrowserOpener;
  logger?: Logger;
}

export interface BrokerDaemon {
  broker: BrokerService;
  configStore: ConfigStore;
  api: ApiServer;
  /** The proxies from config.json that are running (one that could not start is logged and missing). */
  proxies: RunningProxy[];
  socketPath: string;
  /** The TCP listener's 0600 bearer key file (`<dataDir>/api-key`). */
  tcpKeyFile: string;
  /**
   * Brings the running TCP listener in line with `tcp`: starts, stops or re-binds it on
   * 127.0.0.1, and re-reads the key file, so call it after regenerating the key too. The Unix
   * socket keeps serving throughout. Rejects (BrokerError) when the listener cannot start.
   */
  applyTcpListener(tcp: Settings['tcpListener']): Promise<void>;
  /** Closes the socket and the TCP listener, then the broker and vault. */
  close(): Promise<void>;
}

/** File names inside the data directory. */
export const AUDIT_FILE = 'audit.log';
export const API_KEY_FILE = 'api-key';

export async function startBrokerDaemon(options: BrokerDaemonOptions): Promise<BrokerDaemon> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const { dataDir } = options;
  const socketPath = defaultSocketPath(dataDir, env);
  // Before anything is created: a path the kernel would cut short is refused with its limit.
  if (!isWindowsPipe(socketPath)) assertSocketPathFits(socketPath);

  await ensurePrivateDir(dataDir);
  const configStore = await openConfigStore(dataDir);
  const passphraseFile = env.TOKEN_BROKER_PASSPHRASE_FILE?.trim();
  const vault = await openVault({
    dataDir,
    secretStore: createKeytarSecretStore(options.keychain === 'helper' ? { load: () => keytarInChildProcess() } : {}),
    ...(passphraseFile ? { passphraseFile } : {}),
  });

  const tcpKeyFile = join(dataDir, API_KEY_FILE);
  // Provider requests load the OAuth engine and leave old-space pages part garbage; once the
  // daemon is quiet again the heap is compacted so they go back to the system (heap-compaction.ts).
  const compactor = createIdleCompactor();
  let broker: BrokerService;
  try {
    broker = createBroker({
      configStore,
      vault,
      http: compactor.watch(createLazyHttpClient()),
      logger,
      auditFile: join(dataDir, AUDIT_FILE),
      // TOKEN_BROKER_PROACTIVE_REFRESH=off leaves refreshing to the moment a client asks.
      schedule: { enabled: !['off', '0', 'false'].includes((env.TOKEN_BROKER_PROACTIVE_REFRESH ?? '').toLowerCase()) },
      ...(options.approvals === undefined ? {} : { approvals: options.approvals }),
      ...(options.openBrowser === undefined ? {} : { openBrowser: options.openBrowser }),
    });
  } catch (error) {
    await vault.close();
    throw error;
  }

  const proxyDeps = { broker, logger, apiKeyFile: tcpKeyFile };
  // Loaded when the first proxy starts: a daemon that runs none keeps its memory (issue 15's budget).
  const startProxyFor = async (spec: ProxySpec): Promise<RunningProxy> =>
    (await import('./proxy/account-proxy.js')).startAccountProxy(spec, proxyDeps);
  let api: ApiServer;
  try {
    api = await startApiServer({ broker, socketPath, logger, proxies: startProxyFor });
  } catch (error) {
    await broker.close();
    throw error;
  }
  const applyTcpListener = (tcp: Settings['tcpListener']): Promise<void> =>
    api.setTcpListener(tcp.enabled ? { port: tcp.port, keyFile: tcpKeyFile } : undefined);
  const tcpSettings = configStore.get().settings.tcpListener;
  try {
    await applyTcpListener(tcpSettings);
  } catch (error) {
    const brokerError = toBrokerError(error);
    if (options.tcpRequired === true || tcpSettings.required === true) {
      await api.close();
      await broker.close();
      throw brokerError;
    }
    logger.warn(`[daemon] TCP listener not running on 127.0.0.1:${tcpSettings.port} (${brokerError.code}): ${brokerError.message}`);
  }
  const proxies: RunningProxy[] = [];
  for (const spec of configStore.get().proxies) {
    try {
      proxies.push(await startProxyFor(spec));
    } catch (error) {
      const { code, message } = toBrokerError(error);
      logger.warn(`[daemon] proxy for '${spec.account}' to ${spec.upstream} not started (${code}): ${message}`);
    }
  }

  // Start-up compiled the daemon and left its garbage: compact once the daemon is quiet.
  compactor.noteActivity();
  let closing: Promise<void> | undefined;
  return {
    broker,
    configStore,
    api,
    proxies,
    socketPath,
    tcpKeyFile,
    applyTcpListener,
    close() {
      closing ??= (async () => {
        compactor.close();
        await Promise.all(proxies.map((proxy) => proxy.close()));
        await api.close();
        // The broker stops its scheduler, waits for vault writes and closes the vault.
        await broker.close();
      })();
      return closing;
    },
  };
}
