/**
 * The CLI's commands and their options as data: what "did you mean" compares against and what
 * the shell completion scripts are generated from. Each command still declares its own options
 * for parsing (node:util's parseArgs); test/cli/command-table.test.ts keeps the two in step.
 *
 * Loaded only off the hot path: by the completion generator, and after a usage error.
 */

/** One `--flag`. */
export interface FlagSpec {
  name: string;
  /** Placeholder of the value (`URL`, `SECONDS`); absent for a boolean flag. */
  value?: string;
  /** The values it accepts, when they are a closed set (completed by the shells). */
  choices?: readonly string[];
  /** The value is a file path (the shells complete file names). */
  file?: boolean;
  description: string;
}

/** What the command's positional arguments are, for completion. */
export type ArgKind = 'account' | 'none' | readonly string[];

export interface CommandSpec {
  /** `token`, or `account add` for a subcommand. */
  name: string;
  summary: string;
  flags: readonly FlagSpec[];
  args: ArgKind;
  /** Everything after `--` is another command line (`exec`). */
  passThrough?: boolean;
}

const GRANTS = ['authorization_code', 'client_credentials', 'device_code', 'password', 'implicit'] as const;
const AUTH = ['basic', 'post', 'private_key_jwt', 'none'] as const;

const json: FlagSpec = { name: 'json', description: 'print JSON' };

/** The flags `account add` and `account edit` share. */
const ACCOUNT_FLAGS: readonly FlagSpec[] = [
  { name: 'issuer', value: 'URL', description: 'discover the endpoints from this issuer' },
  { name: 'authorization-endpoint', value: 'URL', description: 'authorization endpoint (instead of --issuer)' },
  { name: 'token-endpoint', value: 'URL', description: 'token endpoint (instead of --issuer)' },
  { name: 'device-authorization-endpoint', value: 'URL', description: 'device authorization endpoint' },
  { name: 'revocation-endpoint', value: 'URL', description: 'token revocation endpoint' },
  { name: 'userinfo-endpoint', value: 'URL', description: 'UserInfo endpoint that names the signed-in user' },
  { name: 'client-id', value: 'ID', description: 'OAuth client id' },
  { name: 'client-secret-stdin', description: 'read the client secret (or PEM private key) from stdin' },
  { name: 'auth', value: 'METHOD', choices: AUTH, description: 'token endpoint authentication' },
  { name: 'key-id', value: 'KID', description: 'key id for --auth private_key_jwt' },
  { name: 'grant', value: 'GRANT', choices: GRANTS, description: 'how tokens are obtained' },
  { name: 'scope', value: 'SCOPES', description: 'default scopes, space-separated' },
  { name: 'redirect-uri', value: 'URI', description: 'loopback redirect URI' },
  { name: 'allow-legacy', description: 'allow the legacy implicit and password grants' },
  { name: 'approval', value: 'POLICY', choices: ['auto', 'ask'], description: 'ask before each hand-out' },
  { name: 'git-host', value: 'HOST', description: 'use this account for git on HOST (repeatable)' },
  { name: 'git-username', value: 'NAME', description: 'username git sends with the token' },
  { name: 'registry', value: 'HOST', description: 'answer docker-credential-token-broker for this registry (repeatable)' },
  { name: 'registry-username', value: 'NAME', description: 'username sent with the access token to the registry' },
  {
    name: 'kubernetes-token-type',
    value: 'TYPE',
    choices: ['id_token', 'access_token'],
    description: 'what kubectl-credential hands out',
  },
  { name: 'param', value: 'KEY=VALUE', description: 'extra authorization request parameter (repeatable)' },
  { name: 'dpop', value: 'MODE', choices: ['auto', 'on', 'off'], description: 'DPoP sender-constrained tokens' },
  { name: 'exchange-audience', value: 'AUDIENCE', description: 'allow token exchange for AUDIENCE (repeatable)' },
  { name: 'no-check', description: 'skip the provider check (offline setup)' },
  { name: 'refresh', value: 'MODE', choices: ['auto', 'always', 'never'], description: 'when to refresh before expiry' },
  { name: 'idle-after', value: 'HOURS', description: 'with auto: hours unused before the account is idle' },
];

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'serve',
    summary: 'run the broker headless on the socket',
    flags: [{ name: 'tcp-required', description: 'exit 1 when the configured TCP listener cannot bind its port' }],
    args: 'none',
  },
  { name: 'status', summary: 'who is signed in, expiries, refresh tokens', flags: [json], args: 'account' },
  { name: 'account add', summary: 'add an account', flags: ACCOUNT_FLAGS, args: 'none' },
  { name: 'account edit', summary: 'change an account', flags: ACCOUNT_FLAGS, args: 'account' },
  { name: 'account rename', summary: 'rename an account, keeping its tokens', flags: [], args: 'account' },
  { name: 'account show', summary: "print an account's configuration", flags: [json], args: 'account' },
  { name: 'account list', summary: 'list accounts and their token status', flags: [json], args: 'none' },
  { name: 'account remove', summary: 'revoke its tokens and forget the account', flags: [], args: 'account' },
  {
    name: 'login',
    summary: 'sign in',
    flags: [
      { name: 'no-browser', description: 'print the URL instead of opening a browser' },
      { name: 'allow-other-user', description: 'accept a sign-in as another user than before' },
      { name: 'username', value: 'USER', description: 'password grant: the user name' },
      { name: 'password-stdin', description: 'password grant: read the password from stdin' },
    ],
    args: 'account',
  },
  {
    name: 'token',
    summary: 'print an access token (or the ID token)',
    flags: [
      { name: 'id-token', description: 'print the OpenID Connect ID token instead' },
      { name: 'min-ttl', value: 'SECONDS', description: 'refresh first if it expires sooner' },
      { name: 'scope', value: 'SCOPES', description: 'narrower scopes' },
      { name: 'audience', value: 'AUDIENCE', description: 'a token exchanged for this audience' },
      { name: 'resource', value: 'URI', description: 'a token exchanged for this resource' },
      { name: 'format', value: 'FORMAT', choices: ['raw', 'json', 'header', 'env'], description: 'output shape' },
      { name: 'method', value: 'METHOD', description: 'with --format header: the DPoP proof is for this method' },
      { name: 'url', value: 'URL', description: 'with --format header: the DPoP proof is for this URL' },
    ],
    args: 'account',
  },
  {
    name: 'dpop-proof',
    summary: 'a DPoP proof for one request (DPoP accounts)',
    flags: [
      { name: 'method', value: 'METHOD', description: 'HTTP method of the request' },
      { name: 'url', value: 'URL', description: 'URL of the request' },
      { name: 'nonce', value: 'NONCE', description: "the server's DPoP-Nonce" },
      { name: 'scope', value: 'SCOPES', description: 'for the narrower-scope token' },
      { name: 'audience', value: 'AUDIENCE', description: 'for the token exchanged for this audience' },
      { name: 'resource', value: 'URI', description: 'for the token exchanged for this resource' },
    ],
    args: 'account',
  },
  {
    name: 'proxy',
    summary: 'an authenticating local proxy to an API (until Ctrl-C)',
    flags: [
      { name: 'upstream', value: 'URL', description: 'where requests go' },
      { name: 'listen', value: 'ADDRESS', description: 'loopback address and port, e.g. 127.0.0.1:8080' },
      { name: 'socket', value: 'PATH', file: true, description: 'a Unix socket instead' },
    ],
    args: 'account',
  },
  {
    name: 'exec',
    summary: 'run a command with the token in its environment',
    flags: [
      { name: 'env', value: 'VAR', description: 'variable for the token (default ACCESS_TOKEN)' },
      { name: 'id-token-env', value: 'VAR', description: 'variable for the ID token' },
      { name: 'min-ttl', value: 'SECONDS', description: 'refresh first if it expires sooner' },
      { name: 'scope', value: 'SCOPES', description: 'narrower scopes' },
    ],
    args: 'account',
    passThrough: true,
  },
  { name: 'logout', summary: 'revoke and forget the tokens', flags: [], args: 'account' },
  {
    name: 'audit',
    summary: 'who got tokens, when',
    flags: [
      { name: 'since', value: 'WHEN', description: '1h, 30m, 2d or an ISO date' },
      { name: 'limit', value: 'N', description: 'at most N entries' },
      json,
    ],
    args: 'account',
  },
  {
    name: 'service install',
    summary: 'run serve at login (systemd user unit / launchd agent)',
    flags: [
      { name: 'passphrase-file', value: 'FILE', file: true, description: 'vault key from this 0600 file, not the keychain' },
      { name: 'keychain', description: 'use the OS keychain (a desktop session)' },
    ],
    args: 'none',
  },
  { name: 'service uninstall', summary: 'stop and remove the service', flags: [], args: 'none' },
  { name: 'service status', summary: 'is the service installed and running', flags: [], args: 'none' },
  { name: 'completion', summary: 'print a shell completion script', flags: [], args: ['bash', 'zsh', 'fish'] },
  {
    name: 'kubectl-credential',
    summary: 'kubectl exec credential plugin',
    flags: [{ name: 'token-type', value: 'TYPE', choices: ['id_token', 'access_token'], description: 'the ID token or the access token' }],
    args: 'account',
  },
  {
    name: 'kubeconfig',
    summary: 'print a kubeconfig entry that uses kubectl-credential',
    flags: [
      { name: 'server', value: 'URL', description: "the cluster's API server (https://)" },
      { name: 'ca-file', value: 'FILE', file: true, description: "the API server's CA certificate (PEM)" },
    ],
    args: 'account',
  },
  { name: 'git-credential', summary: 'git credential helper', flags: [], args: ['get', 'store', 'erase'] },
];

/** Flags every command accepts. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [{ name: 'help', description: 'show help' }];

/** Top-level command words (`account`, `service` group their subcommands). */
export function topLevelCommands(commands: readonly CommandSpec[] = COMMANDS): string[] {
  return [...new Set(commands.map((c) => c.name.split(' ')[0] as string))];
}

/** Subcommands of a group (`account` → add, edit, …); empty for a plain command. */
export function subcommandsOf(group: string, commands: readonly CommandSpec[] = COMMANDS): string[] {
  return commands.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1));
}

export function findCommand(name: string, commands: readonly CommandSpec[] = COMMANDS): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}
