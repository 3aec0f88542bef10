/**
 * `token-broker serve`: the headless broker in the foreground. SIGINT/SIGTERM close it
 * gracefully (socket removed, vault flushed).
 */
import { setFlagsFromString } from 'node:v8';
import { parse } from '../args.js';
import { resolveDataDir } from '../../core/data-dir.js';
import { isBrokerError } from '../../core/errors.js';
import type { Logger } from '../../core/ports.js';
import { CliError, EXIT } from '../exit.js';
import { systemBrowserOpener } from '../open-browser.js';

const stderrLogger: Logger = {
  info: (line) => process.stderr.write(`${line}\n`),
  warn: (line) => process.stderr.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Keeps V8's young generation at the size it has now. V8 doubles it (up to 2 × 16 MiB) whenever
 * enough objects have survived scavenges in total, so a daemon under steady load drifts to +30 MiB
 * of resident memory for garbage that dies young anyway: a hand-out allocates a few KiB and keeps
 * none of it. The flag is read at every growth decision, so setting it here takes effect; the
 * cost is more frequent (and shorter) scavenges. Only `serve` sets it: the one-shot commands
 * exit long before the young generation would grow.
 */
function capYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

export async function run(args: string[]): Promise<number> {
  const { values } = parse('serve', args, { 'tcp-required': { type: 'boolean', default: false } }, { min: 0, max: 0, names: '' });
  capYoungGeneration();
  const dataDir = resolveDataDir(process.env);
  let daemon;
  try {
    // Loaded after capYoungGeneration(): compiling the daemon's code (zod, got, jose…) is what
    // would otherwise grow the young generation before the flag is set.
    const { startBrokerDaemon } = await import('../../core/daemon.js');
    daemon = await startBrokerDaemon({
      dataDir,
      env: process.env,
      logger: stderrLogger,
      openBrowser: systemBrowserOpener(),
      // keytar in a helper process: the daemon reads one key at start and never maps libsecret.
      keychain: 'helper',
      tcpRequired: values['tcp-required'],
    });
  } catch (error) {
    if (isBrokerError(error)) {
      // The messages carry the remedy (unlock the keychain, set TOKEN_BROKER_PASSPHRASE_FILE, chmod …).
      throw new CliError(`cannot start the broker (${error.code}): ${error.message}`, EXIT.error, error.code);
    }
    throw error;
  }
  process.stderr.write(`[serve] data directory ${dataDir}\n[serve] listening on ${daemon.socketPath}\n`);
  if (daemon.api.tcpAddress !== undefined) {
    process.stderr.write(`[serve] TCP listener on http://${daemon.api.tcpAddress.host}:${daemon.api.tcpAddress.port}\n`);
  }

  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`[serve] ${signal}: closing\n`);
      daemon.close().then(
        () => {
          process.stderr.write('[serve] closed\n');
          resolve(EXIT.ok);
        },
        (error: unknown) => {
          process.stderr.write(`[serve] error while closing: ${isBrokerError(error) ? error.message : String((error as Error).name)}\n`);
          resolve(EXIT.error);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
