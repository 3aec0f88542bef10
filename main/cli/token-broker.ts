/**
 * `token-broker` command entry. Kept tiny on purpose: it runs on every script call, so each
 * command's code is loaded with a dynamic import only when that command runs.
 */
import { BROKER_VERSION } from '../core/version.js';

const argv = process.argv.slice(2);

async function main(): Promise<number> {
  const command = argv[0];
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write('usage: token-broker <command> [options]\n');
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    process.stdout.write(`${BROKER_VERSION}\n`);
    return 0;
  }
  process.stderr.write(`token-broker: unknown command '${command}'. Run 'token-broker --help'.\n`);
  return 2;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`token-broker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
