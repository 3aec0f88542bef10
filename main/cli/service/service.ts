/**
 * `token-broker service install|uninstall|status`: run `serve` at login as a systemd user unit
 * (Linux) or a launchd agent (macOS).
 *
 * The files go where the service manager looks (`$XDG_CONFIG_HOME/systemd/user`,
 * `~/Library/LaunchAgents`), found from the environment passed in, so tests point them at a temp
 * directory. `systemctl --user` and `launchctl` are called through the {@link ServicePorts.run}
 * port, so the exact commands are checked without a user service manager.
 *
 * The one real choice is where the vault key comes from. A service runs without your shell: on
 * a desktop the OS keychain is unlocked at login and works; on a headless server there is no
 * Secret Service, so the vault key must come from a passphrase file
 * (TOKEN_BROKER_PASSPHRASE_FILE). An existing vault already made that choice (its header says
 * which), and the service must match it.
 */
import { constants } from 'node:fs';
import { access, mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CliError, EXIT, usageError } from '../exit.js';
import { LAUNCHD_LABEL, launchdPlist, SYSTEMD_UNIT_NAME, systemdUnit, type ServiceCommand } from './unit-files.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ServicePorts {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  uid: number;
  /** The user name (for `loginctl enable-linger`). */
  user: string;
  /** Absolute paths of node and of this CLI's script. */
  node: string;
  cli: string;
  /** The data directory the service will use. */
  dataDir: string;
  /** Runs a program without a shell; rejects only when it cannot be started (ENOENT). */
  run(file: string, args: string[]): Promise<CommandResult>;
  /** Where systemd-logind marks lingering users (default /var/lib/systemd/linger). */
  lingerDir?: string;
}

export interface InstallOptions {
  /** `--passphrase-file FILE`: the vault key is derived from this 0600 file. */
  passphraseFile?: string;
  /** `--keychain`: use the OS keychain even where no desktop session is seen. */
  keychain?: boolean;
}

/** Settings from the installing shell that the service must share to be the same broker. */
const CARRIED_ENV = ['TOKEN_BROKER_HOME', 'TOKEN_BROKER_SOCKET', 'TOKEN_BROKER_CA_FILE', 'TOKEN_BROKER_PROACTIVE_REFRESH'] as const;

type Manager = 'systemd' | 'launchd';

function managerFor(platform: NodeJS.Platform): Manager {
  if (platform === 'linux') return 'systemd';
  if (platform === 'darwin') return 'launchd';
  throw new CliError(
    `'token-broker service' knows systemd (Linux) and launchd (macOS), not ${platform}. Start the Token Broker app at login from its settings instead.`,
    EXIT.error,
    'UNSUPPORTED',
  );
}

function home(env: NodeJS.ProcessEnv): string {
  const value = env.HOME?.trim();
  if (value === undefined || value === '' || !isAbsolute(value)) throw new CliError('HOME is not set to an absolute path.', EXIT.error);
  return value;
}

/** Where the unit file or agent plist lives. */
export function serviceFilePath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (managerFor(platform) === 'launchd') return join(home(env), 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const configHome = xdg !== undefined && isAbsolute(xdg) ? xdg : join(home(env), '.config');
  return join(configHome, 'systemd', 'user', SYSTEMD_UNIT_NAME);
}

function launchdLogFile(env: NodeJS.ProcessEnv): string {
  return join(home(env), 'Library', 'Logs', 'token-broker', 'serve.log');
}

export type VaultKeySource = 'keychain' | 'passphrase' | 'none';

/** Reads which key protects the vault from its header (byte 5 after "TBV1"; docs/vault.md). */
export async function vaultKeySource(dataDir: string): Promise<VaultKeySource> {
  let handle;
  try {
    handle = await open(join(dataDir, 'vault.bin'), 'r');
  } catch {
    return 'none';
  }
  try {
    const header = Buffer.alloc(6);
    const { bytesRead } = await handle.read(header, 0, 6, 0);
    if (bytesRead < 6 || header.subarray(0, 4).toString('latin1') !== 'TBV1') return 'none';
    return header[5] === 2 ? 'passphrase' : 'keychain';
  } finally {
    await handle.close();
  }
}

/** Is there a desktop session whose keychain a service could use? (Linux: a session D-Bus.) */
function desktopSession(ports: ServicePorts): boolean {
  if (ports.platform === 'darwin') return true;
  return (ports.env.DBUS_SESSION_BUS_ADDRESS ?? '') !== '';
}

export interface ServicePlan {
  manager: Manager;
  path: string;
  content: string;
  key: 'keychain' | 'passphrase';
  /** What the person should know (printed on stderr). */
  notes: string[];
}

async function checkPassphraseFile(file: string): Promise<string> {
  const path = resolve(file);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw usageError(
      `--passphrase-file ${path} does not exist. Create it first: (umask 077; printf '%s\\n' 'your passphrase' > ${path})`,
      'service install',
    );
  }
  if (!info.isFile()) throw usageError(`--passphrase-file ${path} is not a file.`, 'service install');
  if ((info.mode & 0o077) !== 0)
    throw usageError(`--passphrase-file ${path} is readable by others; run: chmod 600 ${path}`, 'service install');
  return path;
}

/** Decides the key source and builds the file; reads only the vault header and the passphrase file's mode. */
export async function planService(ports: ServicePorts, options: InstallOptions): Promise<ServicePlan> {
  const manager = managerFor(ports.platform);
  const cmd = 'service install';
  if (options.passphraseFile !== undefined && options.keychain === true)
    throw usageError('Choose --passphrase-file FILE or --keychain, not both.', cmd);
  const vault = await vaultKeySource(ports.dataDir);
  const passphraseFile = options.passphraseFile ?? (ports.env.TOKEN_BROKER_PASSPHRASE_FILE?.trim() || undefined);
  const notes: string[] = [];
  let key: 'keychain' | 'passphrase';
  if (vault === 'passphrase') {
    if (passphraseFile === undefined) {
      throw usageError(
        `The vault in ${ports.dataDir} is protected by a passphrase, so the service needs the file holding it: add --passphrase-file FILE.`,
        cmd,
      );
    }
    key = 'passphrase';
  } else if (vault === 'keychain') {
    if (options.passphraseFile !== undefined) {
      throw usageError(
        `The vault in ${ports.dataDir} is protected by the OS keychain, so the service uses the keychain too; drop --passphrase-file (a passphrase vault needs a new data directory: TOKEN_BROKER_HOME).`,
        cmd,
      );
    }
    key = 'keychain';
  } else if (passphraseFile !== undefined && options.keychain !== true) {
    key = 'passphrase';
  } else if (options.keychain === true || desktopSession(ports)) {
    key = 'keychain';
  } else {
    throw usageError(
      'No desktop session is seen (no D-Bus session bus), so a service would find no OS keychain (Secret Service) to keep the vault key in. ' +
        'On a headless server, give the vault a passphrase instead: --passphrase-file FILE (a 0600 file holding the passphrase). ' +
        'On a desktop, add --keychain.',
      cmd,
    );
  }

  const env: Record<string, string> = {};
  for (const name of CARRIED_ENV) {
    const value = ports.env[name]?.trim();
    if (value !== undefined && value !== '') env[name] = name === 'TOKEN_BROKER_PROACTIVE_REFRESH' ? value : resolve(value);
  }
  // The service must open the same data directory as the shell that installs it.
  env.TOKEN_BROKER_HOME ??= ports.dataDir;
  if (key === 'passphrase') {
    env.TOKEN_BROKER_PASSPHRASE_FILE = await checkPassphraseFile(passphraseFile as string);
    notes.push(
      `The vault key is derived from ${env.TOKEN_BROKER_PASSPHRASE_FILE} (TOKEN_BROKER_PASSPHRASE_FILE); keep that file 0600 and backed up.`,
    );
  } else if (manager === 'systemd') {
    notes.push(
      'The vault key is kept in the OS keychain (Secret Service). The keyring is unlocked when you log in to the desktop; ' +
        'until then the broker cannot open the vault. On a server without a desktop, reinstall with --passphrase-file FILE.',
    );
  } else {
    notes.push('The vault key is kept in your login keychain, unlocked when you log in.');
  }
  const command: ServiceCommand = { node: ports.node, cli: ports.cli, env };
  const content = manager === 'systemd' ? systemdUnit(command) : launchdPlist(command, launchdLogFile(ports.env));
  return { manager, path: serviceFilePath(ports.platform, ports.env), content, key, notes };
}

async function runChecked(ports: ServicePorts, file: string, args: string[], remedy: string): Promise<CommandResult> {
  let result: CommandResult;
  try {
    result = await ports.run(file, args);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot run ${file} (${code ?? 'failed'}). ${remedy}`, EXIT.error, 'SERVICE_FAILED');
  }
  if (result.code !== 0) {
    const detail = result.stderr.trim().split('\n')[0] ?? '';
    throw new CliError(`${file} ${args.join(' ')} failed${detail === '' ? '' : `: ${detail}`}. ${remedy}`, EXIT.error, 'SERVICE_FAILED');
  }
  return result;
}

const NO_USER_MANAGER =
  'The systemd user manager is not reachable (no `systemctl --user` for this login). On a server, let your user services run: ' +
  'sudo loginctl enable-linger $USER, then log in again and rerun this command.';

async function lingering(ports: ServicePorts): Promise<boolean> {
  try {
    await access(join(ports.lingerDir ?? '/var/lib/systemd/linger', ports.user), constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export interface InstallResult {
  plan: ServicePlan;
  /** Lines for stderr: what was done and what to know. */
  messages: string[];
}

/** Writes the unit or plist and enables + starts it. */
export async function installService(ports: ServicePorts, options: InstallOptions): Promise<InstallResult> {
  const plan = await planService(ports, options);
  await mkdir(join(plan.path, '..'), { recursive: true });
  if (plan.manager === 'launchd') await mkdir(join(launchdLogFile(ports.env), '..'), { recursive: true, mode: 0o700 });
  await writeFile(plan.path, plan.content, { mode: 0o644 });
  const messages = [`Wrote ${plan.path}.`];
  if (plan.manager === 'systemd') {
    await runChecked(ports, 'systemctl', ['--user', 'daemon-reload'], NO_USER_MANAGER);
    await runChecked(ports, 'systemctl', ['--user', 'enable', '--now', SYSTEMD_UNIT_NAME], NO_USER_MANAGER);
    messages.push(`Enabled and started ${SYSTEMD_UNIT_NAME}: it starts when you log in. Logs: journalctl --user -u token-broker`);
    if (!(await lingering(ports))) {
      messages.push(`To keep it running while you are logged out (a server), run: sudo loginctl enable-linger ${ports.user}`);
    }
  } else {
    const target = `gui/${ports.uid}`;
    // Reinstalling replaces a loaded job; "not loaded" is fine.
    await ports.run('launchctl', ['bootout', `${target}/${LAUNCHD_LABEL}`]).catch(() => undefined);
    await runChecked(ports, 'launchctl', ['bootstrap', target, plan.path], 'Is this a graphical login session? launchd agents need one.');
    messages.push(`Loaded ${LAUNCHD_LABEL}: it starts when you log in. Logs: ${launchdLogFile(ports.env)}`);
  }
  messages.push(...plan.notes);
  messages.push("Check it with 'token-broker service status'.");
  return { plan, messages };
}

/** Stops, disables and removes the unit or agent. */
export async function uninstallService(ports: ServicePorts): Promise<string[]> {
  const manager = managerFor(ports.platform);
  const path = serviceFilePath(ports.platform, ports.env);
  const present = await access(path).then(
    () => true,
    () => false,
  );
  if (!present) return [`No service is installed (${path} does not exist).`];
  if (manager === 'systemd') {
    await runChecked(ports, 'systemctl', ['--user', 'disable', '--now', SYSTEMD_UNIT_NAME], NO_USER_MANAGER);
    await rm(path, { force: true });
    await runChecked(ports, 'systemctl', ['--user', 'daemon-reload'], NO_USER_MANAGER);
  } else {
    await ports.run('launchctl', ['bootout', `gui/${ports.uid}/${LAUNCHD_LABEL}`]).catch(() => undefined);
    await rm(path, { force: true });
  }
  return [`Stopped the service and removed ${path}.`];
}

export interface ServiceStatus {
  manager: Manager;
  path: string;
  installed: boolean;
  /** systemd: `is-enabled`; launchd: loaded. */
  enabled: boolean;
  running: boolean;
  /** systemd only: user services keep running after logout. */
  linger?: boolean;
  /** The manager's own words, when it answered. */
  detail?: string;
}

/** Asks the service manager; never throws for "not installed". */
export async function serviceStatus(ports: ServicePorts): Promise<ServiceStatus> {
  const manager = managerFor(ports.platform);
  const path = serviceFilePath(ports.platform, ports.env);
  const installed = await access(path).then(
    () => true,
    () => false,
  );
  const ask = (file: string, args: string[]): Promise<CommandResult | undefined> => ports.run(file, args).catch(() => undefined);
  if (manager === 'systemd') {
    const enabled = await ask('systemctl', ['--user', 'is-enabled', SYSTEMD_UNIT_NAME]);
    const active = await ask('systemctl', ['--user', 'is-active', SYSTEMD_UNIT_NAME]);
    return {
      manager,
      path,
      installed,
      enabled: enabled?.code === 0,
      running: active?.code === 0,
      linger: await lingering(ports),
      ...(active === undefined
        ? { detail: 'systemctl not found' }
        : { detail: `${enabled?.stdout.trim() || 'unknown'}, ${active.stdout.trim() || 'unknown'}` }),
    };
  }
  const printed = await ask('launchctl', ['print', `gui/${ports.uid}/${LAUNCHD_LABEL}`]);
  const state = printed?.code === 0 ? /^\s*state = (\S+)/m.exec(printed.stdout)?.[1] : undefined;
  return {
    manager,
    path,
    installed,
    enabled: printed?.code === 0,
    running: state === 'running',
    ...(state === undefined ? {} : { detail: `state ${state}` }),
  };
}

/** `service status` for people. */
export function formatServiceStatus(status: ServiceStatus, user: string): string {
  const lines = [
    `${status.manager === 'systemd' ? 'systemd user unit' : 'launchd agent'}  ${status.path}${status.installed ? '' : ' (not installed)'}`,
    `enabled   ${status.enabled ? 'yes' : 'no'}`,
    `running   ${status.running ? 'yes' : 'no'}${status.detail === undefined ? '' : `  (${status.detail})`}`,
  ];
  if (status.linger !== undefined) {
    lines.push(
      `linger    ${status.linger ? 'yes (runs while you are logged out)' : `no (stops when you log out; sudo loginctl enable-linger ${user})`}`,
    );
  }
  if (!status.installed) lines.push("Install it with 'token-broker service install'.");
  else if (!status.running) {
    lines.push(
      status.manager === 'systemd'
        ? 'Not running: see journalctl --user -u token-broker -e'
        : 'Not running: see the log in ~/Library/Logs/token-broker/serve.log',
    );
  }
  return `${lines.join('\n')}\n`;
}
