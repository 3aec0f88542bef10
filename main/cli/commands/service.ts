/** `token-broker service install|uninstall|status`: run `serve` at login (systemd user unit / launchd agent). */
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolveDataDir } from '../../core/data-dir.js';
import { parse } from '../args.js';
import { EXIT, usageError } from '../exit.js';
import {
  formatServiceStatus,
  installService,
  serviceStatus,
  uninstallService,
  type CommandResult,
  type ServicePorts,
} from '../service/service.js';

/** Runs a program without a shell and collects its output. */
export function runProgram(file: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** This process's real ports. */
export function systemPorts(env: NodeJS.ProcessEnv = process.env): ServicePorts {
  const script = process.argv[1] ?? '';
  return {
    platform: process.platform,
    env,
    uid: process.getuid?.() ?? 0,
    user: env.USER?.trim() || userInfo().username,
    node: process.execPath,
    // The unit must name the real file: npx and npm link run the bin through symlinks.
    cli: script === '' ? script : realpathSync(script),
    dataDir: resolveDataDir(env),
    run: runProgram,
  };
}

export async function run(args: string[], ports: ServicePorts = systemPorts()): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'install': {
      const { values } = parse(
        'service install',
        rest,
        { 'passphrase-file': { type: 'string' }, keychain: { type: 'boolean', default: false } },
        { min: 0, max: 0, names: '' },
      );
      const result = await installService(ports, {
        ...(values['passphrase-file'] === undefined ? {} : { passphraseFile: values['passphrase-file'] }),
        keychain: values.keychain,
      });
      process.stderr.write(`${result.messages.join('\n')}\n`);
      return EXIT.ok;
    }
    case 'uninstall': {
      parse('service uninstall', rest, {}, { min: 0, max: 0, names: '' });
      process.stderr.write(`${(await uninstallService(ports)).join('\n')}\n`);
      return EXIT.ok;
    }
    case 'status': {
      parse('service status', rest, {}, { min: 0, max: 0, names: '' });
      const status = await serviceStatus(ports);
      process.stdout.write(formatServiceStatus(status, ports.user));
      // Like `systemctl is-active`: scripts can test it.
      return status.running ? EXIT.ok : 3;
    }
    default:
      throw usageError(
        sub === undefined ? 'Missing the subcommand (install, uninstall or status).' : `Unknown subcommand 'service ${sub}'.`,
        'service',
      );
  }
}
