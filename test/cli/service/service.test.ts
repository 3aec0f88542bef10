/**
 * `service install|uninstall|status`: the files land where systemd and launchd look (under the
 * HOME / XDG_CONFIG_HOME given), validate with the real tools (`systemd-analyze verify`,
 * python3's plistlib), and `systemctl --user` / `launchctl` get exactly the expected commands
 * through the run port (no user service manager runs on these machines: PID 1 is not systemd).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../../main/cli/exit.js';
import {
  formatServiceStatus,
  installService,
  serviceStatus,
  uninstallService,
  vaultKeySource,
  type CommandResult,
  type ServicePorts,
} from '../../../main/cli/service/service.js';
import { launchdPlist, systemdUnit } from '../../../main/cli/service/unit-files.js';

const root = mkdtempSync(join(tmpdir(), 'tb service '));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** systemd-analyze checks the unit as the user manager would load it. */
function verifyUnit(file: string): { status: number | null; output: string } {
  const runtime = join(root, 'runtime');
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const result = spawnSync('systemd-analyze', ['--user', 'verify', file], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_LEVEL: 'notice' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function parsePlist(file: string): Record<string, unknown> {
  const json = execFileSync(
    'python3',
    ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))', file],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(json) as Record<string, unknown>;
}

interface Rig {
  ports: ServicePorts;
  calls: [string, string[]][];
  home: string;
  dataDir: string;
}

let n = 0;
function rig(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}, answer?: (file: string, args: string[]) => CommandResult): Rig {
  n += 1;
  const home = join(root, `home ${n}`);
  const dataDir = join(home, 'data 100%');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(home, 'linger'), { recursive: true });
  const calls: [string, string[]][] = [];
  return {
    home,
    dataDir,
    calls,
    ports: {
      platform,
      env: { HOME: home, ...env },
      uid: 1234,
      user: 'alice',
      node: process.execPath,
      cli: join(home, 'lib dir', 'token-broker.js'),
      dataDir,
      lingerDir: join(home, 'linger'),
      run: (file, args) => {
        calls.push([file, args]);
        return Promise.resolve(answer?.(file, args) ?? { code: 0, stdout: '', stderr: '' });
      },
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

function writeVault(dataDir: string, keySource: 1 | 2): void {
  writeFileSync(join(dataDir, 'vault.bin'), Buffer.concat([Buffer.from('TBV1'), Buffer.from([1, keySource]), Buffer.alloc(60)]));
}

describe('unit files', () => {
  it('the systemd unit verifies, with spaces, % and $ in paths quoted', () => {
    const file = join(root, 'token-broker.service');
    const unit = systemdUnit({
      node: process.execPath,
      cli: '/opt/my tools/100%/token-broker.js',
      env: { TOKEN_BROKER_HOME: '/home/a b/$data "x"', TOKEN_BROKER_PASSPHRASE_FILE: '/etc/tb/pass' },
    });
    writeFileSync(file, unit);
    expect(verifyUnit(file)).toEqual({ status: 0, output: '' });
    expect(unit).toContain(`ExecStart=${process.execPath} "/opt/my tools/100%%/token-broker.js" serve`);
    expect(unit).toContain('Environment="TOKEN_BROKER_HOME=/home/a b/$data \\"x\\""');
    expect(unit).toContain('WantedBy=default.target');
  });

  it('systemd-analyze catches a broken unit (so the check above means something)', () => {
    const file = join(root, 'broken.service');
    writeFileSync(file, systemdUnit({ node: '/nonexistent/node', cli: '/x.js', env: {} }));
    expect(verifyUnit(file).status).not.toBe(0);
  });

  it('the launchd plist parses and carries the arguments and environment exactly', () => {
    const file = join(root, 'agent.plist');
    const env = { TOKEN_BROKER_HOME: `/Users/a&b/<data> "q" 'x'` };
    writeFileSync(
      file,
      launchdPlist({ node: '/usr/local/bin/node', cli: '/opt/a&b/token-broker.js', env }, '/Users/a/Library/Logs/token-broker/serve.log'),
    );
    expect(parsePlist(file)).toEqual({
      Label: 'dev.tokenbroker.serve',
      ProgramArguments: ['/usr/local/bin/node', '/opt/a&b/token-broker.js', 'serve'],
      EnvironmentVariables: env,
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 10,
      ProcessType: 'Background',
      Umask: 0o077,
      StandardOutPath: '/Users/a/Library/Logs/token-broker/serve.log',
      StandardErrorPath: '/Users/a/Library/Logs/token-broker/serve.log',
    });
  });

  it('refuses control characters rather than writing a broken file', () => {
    expect(() => systemdUnit({ node: '/n', cli: '/a\nExecStartPre=/evil', env: {} })).toThrow(/control character/);
    expect(() => launchdPlist({ node: '/n', cli: '/a', env: { X: 'a\u0000' } }, '/l')).toThrow(/control character/);
  });
});

describe('service install on Linux (systemd user unit)', () => {
  let r: Rig;
  beforeEach(() => {
    r = rig('linux', { XDG_CONFIG_HOME: '', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1234/bus' });
  });

  it('writes the unit under ~/.config/systemd/user, reloads, enables and starts it', async () => {
    const result = await installService(r.ports, {});
    const path = join(r.home, '.config/systemd/user/token-broker.service');
    expect(result.plan.path).toBe(path);
    expect(readFileSync(path, 'utf8')).toBe(result.plan.content);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(verifyUnit(path)).toEqual({ status: 0, output: '' });
    expect(r.calls).toEqual([
      ['systemctl', ['--user', 'daemon-reload']],
      ['systemctl', ['--user', 'enable', '--now', 'token-broker.service']],
    ]);
    // The service opens the data directory of the shell that installed it.
    expect(result.plan.content).toContain(`Environment="TOKEN_BROKER_HOME=${r.dataDir.replace(/%/g, '%%')}"`);
    expect(result.plan.content).toContain(`ExecStart=${process.execPath} "${r.ports.cli}" serve`);
    expect(result.plan.key).toBe('keychain');
    expect(result.messages.join('\n')).toContain('Secret Service');
    expect(result.messages.join('\n')).toContain('reinstall with --passphrase-file FILE');
    expect(result.messages.join('\n')).toContain('sudo loginctl enable-linger alice');
  });

  it('honours XDG_CONFIG_HOME and carries TOKEN_BROKER_* settings, not other variables', async () => {
    const xdg = join(r.home, 'xdg');
    r.ports.env = { ...r.ports.env, XDG_CONFIG_HOME: xdg, TOKEN_BROKER_SOCKET: '/run/tb.sock', HTTPS_PROXY: 'http://u:pw@proxy:3128' };
    const result = await installService(r.ports, {});
    expect(result.plan.path).toBe(join(xdg, 'systemd/user/token-broker.service'));
    expect(result.plan.content).toContain('Environment="TOKEN_BROKER_SOCKET=/run/tb.sock"');
    expect(result.plan.content).not.toContain('proxy');
  });

  it('without a desktop session it explains the passphrase file instead of guessing', async () => {
    delete r.ports.env.DBUS_SESSION_BUS_ADDRESS;
    const error = await rejection(installService(r.ports, {}));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('no OS keychain (Secret Service)');
    expect(error.message).toContain('--passphrase-file FILE');
    expect(error.message).toContain('add --keychain');
    expect(r.calls).toEqual([]);
    await expect(installService(r.ports, { keychain: true })).resolves.toMatchObject({ plan: { key: 'keychain' } });
  });

  it('a passphrase file goes in by name (never its content), 0600 only', async () => {
    delete r.ports.env.DBUS_SESSION_BUS_ADDRESS;
    const file = join(r.home, 'pass phrase');
    writeFileSync(file, 'correct-horse-SECRET-battery\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    const loose = await rejection(installService(r.ports, { passphraseFile: file }));
    expect(loose.message).toContain(`chmod 600 ${file}`);
    chmodSync(file, 0o600);
    const result = await installService(r.ports, { passphraseFile: file });
    expect(result.plan.key).toBe('passphrase');
    expect(result.plan.content).toContain(`Environment="TOKEN_BROKER_PASSPHRASE_FILE=${file}"`);
    expect(readFileSync(result.plan.path, 'utf8')).not.toContain('correct-horse');
    expect(result.messages.join('\n')).toContain(`derived from ${file}`);
    const missing = await rejection(installService(r.ports, { passphraseFile: join(r.home, 'nope') }));
    expect(missing.message).toContain('does not exist');
    expect((await rejection(installService(r.ports, { passphraseFile: file, keychain: true }))).message).toContain('not both');
  });

  it('TOKEN_BROKER_PASSPHRASE_FILE from the shell is used like --passphrase-file', async () => {
    const file = join(r.home, 'pp');
    writeFileSync(file, 'x\n', { mode: 0o600 });
    r.ports.env.TOKEN_BROKER_PASSPHRASE_FILE = file;
    expect((await installService(r.ports, {})).plan.key).toBe('passphrase');
  });

  it('an existing vault decides the key source', async () => {
    writeVault(r.dataDir, 2);
    expect(await vaultKeySource(r.dataDir)).toBe('passphrase');
    expect((await rejection(installService(r.ports, {}))).message).toContain('protected by a passphrase');
    writeVault(r.dataDir, 1);
    expect(await vaultKeySource(r.dataDir)).toBe('keychain');
    const file = join(r.home, 'pp');
    writeFileSync(file, 'x\n', { mode: 0o600 });
    expect((await rejection(installService(r.ports, { passphraseFile: file }))).message).toContain('protected by the OS keychain');
    expect(await vaultKeySource(join(r.home, 'none'))).toBe('none');
  });

  it('says what to do when there is no user manager', async () => {
    const noBus = rig('linux', { DBUS_SESSION_BUS_ADDRESS: 'x' }, () => ({
      code: 1,
      stdout: '',
      stderr: 'Failed to connect to bus: No medium found\n',
    }));
    const error = await rejection(installService(noBus.ports, {}));
    expect(error.message).toContain('systemctl --user daemon-reload failed: Failed to connect to bus: No medium found');
    expect(error.message).toContain('sudo loginctl enable-linger $USER');
    const noSystemctl = rig('linux', { DBUS_SESSION_BUS_ADDRESS: 'x' });
    noSystemctl.ports.run = () => Promise.reject(Object.assign(new Error('spawn systemctl ENOENT'), { code: 'ENOENT' }));
    expect((await rejection(installService(noSystemctl.ports, {}))).message).toContain('cannot run systemctl (ENOENT)');
  });

  it('status asks systemctl and checks lingering; uninstall disables and removes', async () => {
    const answers = rig('linux', { DBUS_SESSION_BUS_ADDRESS: 'x' }, (_file, args) =>
      args[1] === 'is-enabled'
        ? { code: 0, stdout: 'enabled\n', stderr: '' }
        : args[1] === 'is-active'
          ? { code: 0, stdout: 'active\n', stderr: '' }
          : { code: 0, stdout: '', stderr: '' },
    );
    expect(await serviceStatus(answers.ports)).toMatchObject({ installed: false, enabled: true, running: true, linger: false });
    await installService(answers.ports, {});
    writeFileSync(join(answers.home, 'linger', 'alice'), '');
    const status = await serviceStatus(answers.ports);
    expect(status).toEqual({
      manager: 'systemd',
      path: join(answers.home, '.config/systemd/user/token-broker.service'),
      installed: true,
      enabled: true,
      running: true,
      linger: true,
      detail: 'enabled, active',
    });
    expect(formatServiceStatus(status, 'alice')).toContain('running   yes  (enabled, active)');
    answers.calls.length = 0;
    expect(await uninstallService(answers.ports)).toEqual([`Stopped the service and removed ${status.path}.`]);
    expect(existsSync(status.path)).toBe(false);
    expect(answers.calls).toEqual([
      ['systemctl', ['--user', 'disable', '--now', 'token-broker.service']],
      ['systemctl', ['--user', 'daemon-reload']],
    ]);
    answers.calls.length = 0;
    expect((await uninstallService(answers.ports))[0]).toContain('No service is installed');
    expect(answers.calls).toEqual([]);
  });

  it('status text says how to install and where the logs are', () => {
    const text = formatServiceStatus(
      { manager: 'systemd', path: '/p', installed: false, enabled: false, running: false, linger: false },
      'bob',
    );
    expect(text).toContain('/p (not installed)');
    expect(text).toContain('sudo loginctl enable-linger bob');
    expect(text).toContain("Install it with 'token-broker service install'.");
    expect(formatServiceStatus({ manager: 'systemd', path: '/p', installed: true, enabled: true, running: false }, 'bob')).toContain(
      'journalctl --user -u token-broker',
    );
  });
});

describe('service install on macOS (launchd agent)', () => {
  it('writes the agent under ~/Library/LaunchAgents and bootstraps it into the GUI domain', async () => {
    const r = rig('darwin', {});
    const result = await installService(r.ports, {});
    const path = join(r.home, 'Library/LaunchAgents/dev.tokenbroker.serve.plist');
    expect(result.plan.path).toBe(path);
    const plist = parsePlist(path);
    expect(plist.ProgramArguments).toEqual([process.execPath, r.ports.cli, 'serve']);
    expect(plist.EnvironmentVariables).toEqual({ TOKEN_BROKER_HOME: r.dataDir });
    expect(plist.StandardErrorPath).toBe(join(r.home, 'Library/Logs/token-broker/serve.log'));
    expect(existsSync(join(r.home, 'Library/Logs/token-broker'))).toBe(true);
    expect(r.calls).toEqual([
      ['launchctl', ['bootout', 'gui/1234/dev.tokenbroker.serve']],
      ['launchctl', ['bootstrap', 'gui/1234', path]],
    ]);
    expect(result.messages.join('\n')).toContain('login keychain');
  });

  it('status reads launchctl print; uninstall boots it out and removes the plist', async () => {
    const r = rig('darwin', {}, (_file, args) =>
      args[0] === 'print'
        ? { code: 0, stdout: 'gui/1234/dev.tokenbroker.serve = {\n\tstate = running\n\tpid = 99\n}\n', stderr: '' }
        : { code: 0, stdout: '', stderr: '' },
    );
    await installService(r.ports, {});
    expect(await serviceStatus(r.ports)).toMatchObject({
      manager: 'launchd',
      installed: true,
      enabled: true,
      running: true,
      detail: 'state running',
    });
    r.calls.length = 0;
    await uninstallService(r.ports);
    expect(r.calls).toEqual([['launchctl', ['bootout', 'gui/1234/dev.tokenbroker.serve']]]);
    expect(existsSync(join(r.home, 'Library/LaunchAgents/dev.tokenbroker.serve.plist'))).toBe(false);
  });
});

describe('other platforms', () => {
  it('Windows gets a clear answer', async () => {
    const r = rig('win32', {});
    expect((await rejection(installService(r.ports, {}))).message).toContain('systemd (Linux) and launchd (macOS)');
  });
});
