/**
 * The files `token-broker service install` writes: a systemd user unit (Linux) and a launchd
 * agent property list (macOS), both running `token-broker serve` in the foreground. Pure text
 * builders with the quoting each format needs; no secret ever goes in (only paths and the
 * TOKEN_BROKER_* settings, never a passphrase — the unit names the passphrase FILE).
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.syntax.html (quoting)
 * @see https://developer.apple.com/library/archive/documentation/MacOSX/Conceptual/BPSystemStartup/Chapters/CreatingLaunchdJobs.html
 */

/** The unit's file name under `~/.config/systemd/user/`. */
export const SYSTEMD_UNIT_NAME = 'token-broker.service';
/** The launchd job label (reverse DNS of the app id `dev.tokenbroker.app`). */
export const LAUNCHD_LABEL = 'dev.tokenbroker.serve';

export interface ServiceCommand {
  /** Absolute path of the Node.js binary. */
  node: string;
  /** Absolute path of the `token-broker` script. */
  cli: string;
  /** Environment baked into the service (TOKEN_BROKER_HOME, …); values are paths or words. */
  env: Record<string, string>;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuses control characters: no format here can carry a newline inside a value safely. */
function assertPrintable(value: string, what: string): void {
  if (CONTROL.test(value)) throw new Error(`${what} contains a control character`);
}

/**
 * One word of a systemd command line: double-quoted when it has to be, with `\` and `"` escaped,
 * `%` doubled (specifier expansion) and `$` doubled (variable expansion in Exec lines).
 */
export function systemdExecWord(word: string): string {
  assertPrintable(word, 'a service argument');
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One `Environment=` assignment, always double-quoted (spaces in paths), `%` doubled. */
export function systemdEnvironment(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an environment variable name: ${name}`);
  assertPrintable(value, name);
  return `Environment="${`${name}=${value}`.replace(/%/g, '%%').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The systemd user unit for `serve`. */
export function systemdUnit(command: ServiceCommand): string {
  const exec = [command.node, command.cli, 'serve'].map(systemdExecWord).join(' ');
  const env = Object.entries(command.env).map(([name, value]) => systemdEnvironment(name, value));
  return [
    '# Written by `token-broker service install`; remove it with `token-broker service uninstall`.',
    '[Unit]',
    'Description=Token Broker (local OAuth token broker, headless)',
    // A broker that cannot start (locked keychain, bad passphrase file) should not spin forever.
    'StartLimitIntervalSec=300',
    'StartLimitBurst=5',
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${exec}`,
    ...env,
    'Restart=on-failure',
    'RestartSec=5s',
    // serve closes the socket and flushes the vault on SIGTERM.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=15s',
    'UMask=0077',
    'NoNewPrivileges=yes',
    'SyslogIdentifier=token-broker',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** XML character data / attribute text. */
export function xmlEscape(text: string): string {
  assertPrintable(text, 'a property list value');
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The launchd agent for `serve`: started at login, restarted when it exits with an error. */
export function launchdPlist(command: ServiceCommand, logFile: string): string {
  const string = (value: string): string => `<string>${xmlEscape(value)}</string>`;
  const args = [command.node, command.cli, 'serve'].map((a) => `\t\t${string(a)}`);
  const env = Object.entries(command.env).map(([name, value]) => `\t\t<key>${xmlEscape(name)}</key>\n\t\t${string(value)}`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `token-broker service install`; remove it with `token-broker service uninstall`. -->',
    '<plist version="1.0">',
    '<dict>',
    '\t<key>Label</key>',
    `\t${string(LAUNCHD_LABEL)}`,
    '\t<key>ProgramArguments</key>',
    '\t<array>',
    ...args,
    '\t</array>',
    ...(env.length === 0 ? [] : ['\t<key>EnvironmentVariables</key>', '\t<dict>', ...env, '\t</dict>']),
    '\t<key>RunAtLoad</key>',
    '\t<true/>',
    // Restart after a crash, not after a clean SIGTERM (launchctl bootout, logout).
    '\t<key>KeepAlive</key>',
    '\t<dict>',
    '\t\t<key>SuccessfulExit</key>',
    '\t\t<false/>',
    '\t</dict>',
    '\t<key>ThrottleInterval</key>',
    '\t<integer>10</integer>',
    '\t<key>ProcessType</key>',
    `\t${string('Background')}`,
    // 077: the socket directory and data files stay private even before serve tightens them.
    '\t<key>Umask</key>',
    '\t<integer>63</integer>',
    '\t<key>StandardOutPath</key>',
    `\t${string(logFile)}`,
    '\t<key>StandardErrorPath</key>',
    `\t${string(logFile)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
