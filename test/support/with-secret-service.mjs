#!/usr/bin/env node
// Runs a command against a real, throwaway Secret Service:
//   node test/support/with-secret-service.mjs -- COMMAND [ARGS...]
// A private D-Bus session (dbus-run-session) with gnome-keyring-daemon unlocked for the secrets
// component, keyrings stored under a temporary XDG_DATA_HOME that is deleted afterwards. keytar
// in the command (and its children) talks to that keyring through libsecret, for real.
// The command's exit status is passed through.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REQUIRED = [
  ['dbus-run-session', 'dbus (dbus-run-session)'],
  ['gnome-keyring-daemon', 'gnome-keyring'],
];

export function missingSecretServicePrograms() {
  return REQUIRED.filter(([program]) => spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0).map(([, pkg]) => pkg);
}

function main() {
  const separator = process.argv.indexOf('--');
  const command = separator === -1 ? process.argv.slice(2) : process.argv.slice(separator + 1);
  if (command.length === 0) {
    process.stderr.write('usage: with-secret-service.mjs -- COMMAND [ARGS...]\n');
    process.exit(2);
  }
  const missing = missingSecretServicePrograms();
  if (missing.length > 0) {
    process.stderr.write(
      `[secret-service] A real Secret Service is needed for the tests, but ${missing.join(' and ')} ` +
        `is not installed.\nInstall it with: sudo apt-get install dbus gnome-keyring libsecret-1-dev\n`,
    );
    process.exit(1);
  }

  const dataHome = mkdtempSync(join(tmpdir(), 'token-broker-keyring-'));
  const runtimeDir = mkdtempSync(join(tmpdir(), 'token-broker-runtime-'));
  chmodSync(runtimeDir, 0o700);
  // gnome-keyring creates and unlocks the default ("login") keyring with the password on stdin.
  const inner = [
    'set -e',
    'printf "%s" "token-broker-test" | gnome-keyring-daemon --unlock --components=secrets --daemonize >"$XDG_RUNTIME_DIR/gnome-keyring.env"',
    'exec "$@"',
  ].join('\n');
  const child = spawn('dbus-run-session', ['--', 'sh', '-c', inner, 'sh', ...command], {
    stdio: 'inherit',
    env: { ...process.env, XDG_DATA_HOME: dataHome, XDG_RUNTIME_DIR: runtimeDir, TOKEN_BROKER_TEST_KEYRING: '1' },
  });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => {
    rmSync(dataHome, { recursive: true, force: true });
    rmSync(runtimeDir, { recursive: true, force: true });
    process.exit(code ?? (signal ? 128 : 1));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) main();
