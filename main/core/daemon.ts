/**
 * The broker daemon: everything between a data directory and a listening token API, shared by
 * `token-broker serve` (headless) and the Electron app (which passes its approval port and
 * browser opener).
 *
 * Start order: private data directory → config → keychain + vault → HTTP client → broker → API.
 * `close()` undoes it in reverse, and a failure half-way closes what was already open.
 */
import { join } from 'node:path';
import { openConfigStore, type ConfigStore } from './accounts/config-store.js';
import { startApiServer, type ApiServer } from './api/server.js';
import { createBroker } from './broker/index.js';
import type { ApprovalPort, BrokerService } from './broker/types.js';
import { ensurePrivateDir } from './data-dir.js';
import { createHttpClient } from './oauth/index.js';
import { silentLogger, type BrowserOpener, type Logger } from './ports.js';
import { defaultSocketPath } from './socket-path.js';
import { createKeytarSecretStore } from './vault/keychain.js';
import { openVault } from './vault/index.js';

export { defaultSocketPath } from './socket-path.js';

export interface BrokerDaemonOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** The GUI's approval prompt; without one, `approval: ask` accounts are denied. */
  approvals?: ApprovalPort;
  openBrowser?: BrowserOpener;
  logger?: Logger;
}

export interface BrokerDaemon {
  broker: BrokerService;
  configStore: ConfigStore;
  api: ApiServer;
  socketPath: string;
  close(): Promise<void>;
}

/** File names inside the data directory. */
export const AUDIT_FILE = 'audit.log';
export const API_KEY_FILE = 'api-key';

export async function startBrokerDaemon(options: BrokerDaemonOptions): Promise<BrokerDaemon> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const { dataDir } = options;

  await ensurePrivateDir(dataDir);
  const configStore = await openConfigStore(dataDir);
  const passphraseFile = env.TOKEN_BROKER_PASSPHRASE_FILE?.trim();
  const vault = await openVault({
    dataDir,
    secretStore: createKeytarSecretStore(),
    ...(passphraseFile ? { passphraseFile } : {}),
  });

  let broker: BrokerService;
  try {
    broker = createBroker({
      configStore,
      vault,
      http: createHttpClient(),
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

  const socketPath = defaultSocketPath(dataDir, env);
  const { tcpListener } = configStore.get().settings;
  let api: ApiServer;
  try {
    api = await startApiServer({
      broker,
      socketPath,
      logger,
      ...(tcpListener.enabled ? { tcp: { port: tcpListener.port, keyFile: join(dataDir, API_KEY_FILE) } } : {}),
    });
  } catch (error) {
    await broker.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    broker,
    configStore,
    api,
    socketPath,
    close() {
      closing ??= (async () => {
        await api.close();
        // The broker stops its scheduler, waits for vault writes and closes the vault.
        await broker.close();
      })();
      return closing;
    },
  };
}
