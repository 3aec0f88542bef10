/**
 * The CLI's messages for the places people slip: mistyped options, commands and account names,
 * secrets given on the command line, a provider refusing the client, an account that exists
 * already or whose secret is missing. Each names the next command to run. Pure string
 * building; the commands import this lazily, only once something went wrong, so the hot path
 * (`token`, `exec`, the credential helpers) never loads it.
 */
import { CliError } from './exit.js';
import { didYouMean } from './suggest.js';

/** What went wrong while parsing a command line, in terms of the user's input. */
export type ParseProblem =
  | { kind: 'unknown-option'; option: string }
  | { kind: 'missing-value'; option: string }
  | { kind: 'unexpected-value'; option: string }
  | { kind: 'missing-argument'; names: string }
  | { kind: 'extra-argument'; value: string };

const SECRET_ON_STDIN = 'secrets are read from stdin, never from the command line (where ps and your shell history would see them)';

/**
 * Options people reach for that do not exist, with what to use instead. Keyed by the option
 * name without dashes; `commands` limits a hint to the commands where it applies.
 */
const OPTION_HINTS: readonly { names: readonly string[]; commands?: readonly string[]; hint: (command: string) => string }[] = [
  {
    names: ['client-secret', 'secret', 'client-secret-file', 'clientsecret'],
    hint: (command) =>
      `${SECRET_ON_STDIN}: --client-secret-stdin, as in  printf '%s\\n' "$CLIENT_SECRET" | token-broker ${command} … --client-secret-stdin`,
  },
  {
    names: ['private-key', 'key', 'private-key-file', 'key-file'],
    hint: (command) =>
      `the PEM private key is read from stdin: --auth private_key_jwt --client-secret-stdin, as in  token-broker ${command} … --auth private_key_jwt --client-secret-stdin < key.pem`,
  },
  {
    names: ['password', 'pass'],
    hint: () =>
      `${SECRET_ON_STDIN}: --username USER --password-stdin, as in  token-broker login NAME --username USER --password-stdin < pw.txt`,
  },
  { names: ['json'], commands: ['token'], hint: () => 'use --format json' },
  { names: ['format', 'output', 'o'], commands: ['account list', 'account show', 'status', 'audit'], hint: () => 'use --json for JSON' },
  {
    names: ['scopes'],
    commands: ['token', 'exec', 'account add', 'account edit'],
    hint: () => 'use --scope "a b" (one flag, space-separated scopes)',
  },
  {
    names: ['name'],
    commands: ['account add', 'account edit'],
    hint: (command) => `the account NAME is a plain argument: token-broker ${command} NAME …`,
  },
];

/** `--x` for a long option name, `-x` for a one-letter one. */
export function dashed(option: string): string {
  return option.length === 1 ? `-${option}` : `--${option}`;
}

/** The targeted hint for an option that does not exist, if we know one. */
export function optionHint(command: string, option: string): string | undefined {
  const name = option.toLowerCase();
  for (const entry of OPTION_HINTS) {
    if (!entry.names.includes(name)) continue;
    if (entry.commands !== undefined && !entry.commands.includes(command)) continue;
    return entry.hint(command);
  }
  return undefined;
}

/**
 * One sentence for a parse problem. Only option names are echoed, never an inline value
 * (`--client-secret=…` must not print the secret back).
 */
export function describeParseProblem(command: string, problem: ParseProblem, knownOptions: readonly string[]): string {
  switch (problem.kind) {
    case 'unknown-option': {
      const hint = optionHint(command, problem.option);
      const flag = dashed(problem.option);
      if (hint !== undefined) return `${flag} is not an option of '${command}': ${hint}.`;
      const suggestion = didYouMean(
        flag,
        knownOptions.map((o) => dashed(o)),
        (name) => name,
      );
      return `Unknown option ${flag} for '${command}'.${suggestion}`;
    }
    case 'missing-value':
      return `${dashed(problem.option)} needs a value (${dashed(problem.option)} VALUE or ${dashed(problem.option)}=VALUE).`;
    case 'unexpected-value':
      return `${dashed(problem.option)} is a switch and takes no value.`;
    case 'missing-argument':
      return `Missing ${problem.names}.`;
    case 'extra-argument':
      return `Unexpected argument '${problem.value.slice(0, 64)}'.`;
  }
}

/** `token-broker tokne` → "Unknown command 'tokne'. Did you mean 'token'?" */
export function unknownCommandMessage(input: string, known: readonly string[], group?: string): string {
  const what = group === undefined ? `command '${input.slice(0, 64)}'` : `subcommand '${group} ${input.slice(0, 64)}'`;
  return `Unknown ${what}.${didYouMean(input, known)}`;
}

/** Appended to "no account named …": the near names, or how to list them. */
export function accountNotFoundHint(name: string, known: readonly string[]): string {
  const suggestion = didYouMean(name, known);
  if (suggestion !== '') return suggestion.trim();
  if (known.length === 0) return "There are no accounts yet: add one with 'token-broker account add NAME …'.";
  return "See 'token-broker account list' for the names.";
}

/** For ACCOUNT_EXISTS: change the one there is rather than removing it. */
export function accountExistsMessage(name: string): string {
  return (
    `An account named '${name}' already exists. Change it with 'token-broker account edit ${name} …' ` +
    `(see it with 'token-broker account show ${name}'), or pick another name.`
  );
}

/**
 * For a provider's `invalid_client` (RFC 6749 §5.2): nearly always a wrong secret, or the secret
 * sent the other way than the provider expects (HTTP Basic vs form body).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function invalidClientHint(account: string, auth?: string): string {
  const other = auth === 'post' ? 'basic' : auth === 'basic' ? 'post' : undefined;
  const switchAuth =
    other === undefined
      ? `token-broker account edit ${account} --auth post (or --auth basic), with the secret on stdin`
      : `token-broker account edit ${account} --auth ${other} --client-secret-stdin (it sends the secret as ${other === 'post' ? 'form fields' : 'HTTP Basic'} instead of ${other === 'post' ? 'HTTP Basic' : 'form fields'})`;
  return (
    'The provider did not accept the client. The two usual causes:\n' +
    `  1. the client secret is wrong: printf '%s\\n' "$CLIENT_SECRET" | token-broker account edit ${account} --client-secret-stdin\n` +
    `  2. the provider wants the secret sent the other way: ${switchAuth}\n` +
    'Also check the client id, and that the client is allowed this grant.'
  );
}

/** For an account whose client secret (or private key) is no longer in the vault. */
export function needsSecretHint(account: string, auth?: string): string {
  const store =
    auth === 'private_key_jwt'
      ? `token-broker account edit ${account} --client-secret-stdin < key.pem`
      : `printf '%s\\n' "$CLIENT_SECRET" | token-broker account edit ${account} --client-secret-stdin`;
  return `The ${auth === 'private_key_jwt' ? 'private key' : 'client secret'} of ${account} is missing from the vault; store it again: ${store}`;
}

/** What the API said went wrong (its error body's fields). */
export interface ApiProblem {
  code: string;
  message: string;
  oauth_error?: string;
}

/** Context for {@link remedyFor}: what the command knows about the account concerned. */
export interface RemedyContext {
  account?: string;
  auth?: string;
  /** Account names, for "did you mean" on ACCOUNT_NOT_FOUND. */
  accounts?: readonly string[];
  /** The account's status as the broker reports it. */
  status?: string;
}

/** A line to print under an API error, naming the next step; undefined when the message suffices. */
export function remedyFor(error: ApiProblem, ctx: RemedyContext): string | undefined {
  if (error.code === 'ACCOUNT_NOT_FOUND' && ctx.account !== undefined && ctx.accounts !== undefined) {
    return accountNotFoundHint(ctx.account, ctx.accounts);
  }
  if (error.code === 'ACCOUNT_EXISTS' && ctx.account !== undefined) return accountExistsMessage(ctx.account);
  if (error.oauth_error === 'invalid_client' && ctx.account !== undefined) return invalidClientHint(ctx.account, ctx.auth);
  if (ctx.status === 'needs_secret' && ctx.account !== undefined) return needsSecretHint(ctx.account, ctx.auth);
  return undefined;
}

/**
 * Config paths (as the broker's validation and provider check name them) → the flags of
 * `account add` / `account edit` that set them. Longest paths first, so `provider.issuer` is not
 * taken for `provider`.
 */
const PATH_FLAGS: readonly [path: string, flag: string][] = [
  ['provider.deviceAuthorizationEndpoint', '--device-authorization-endpoint'],
  ['provider.authorizationEndpoint', '--authorization-endpoint'],
  ['provider.revocationEndpoint', '--revocation-endpoint'],
  ['provider.userinfoEndpoint', '--userinfo-endpoint'],
  ['provider.tokenEndpoint', '--token-endpoint'],
  ['provider.extraParams', '--param'],
  ['provider.issuer', '--issuer'],
  ['provider', '--issuer (or --token-endpoint)'],
  ['client.keyId', '--key-id'],
  ['client.auth', '--auth'],
  ['client.id', '--client-id'],
  ['redirectUri', '--redirect-uri'],
  ['allowLegacy', '--allow-legacy'],
  ['git.username', '--git-username'],
  ['git.hosts', '--git-host'],
  ['approval', '--approval'],
  ['scopes', '--scope'],
  ['grant', '--grant'],
  ['name', 'NAME'],
];

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A broker message about an account, in the CLI's terms: `provider.issuer: …` → `--issuer: …`,
 * `Use client.auth = post` → `Use --auth post`. A config index (`accounts[3].`) never shows.
 */
export function configPathsToFlags(message: string): string {
  let out = message
    .replace(/\baccounts\[\d+\]\.?/g, '')
    .replace(/\bprovider\.extraParams(?:\.([\w$-]+)|\["([^"]*)"\])(?=:)/g, '--param $1$2');
  for (const [path, flag] of PATH_FLAGS) {
    const at = escapeRegExp(path);
    // `path: …` at the start of a problem line, with an index or key after it (`scopes[2]`, `extraParams.prompt`).
    out = out.replace(new RegExp(`(^|\\n\\s*|: )${at}(?:\\[[^\\]]*\\]|\\.[\\w$-]+)*(?=:)`, 'g'), `$1${flag}`);
    // `Use path = value` (the provider check's fix).
    out = out.replace(new RegExp(`\\bUse ${at} = `, 'g'), `Use ${flag.split(' ')[0] as string} `);
  }
  return out;
}

/** Codes of a provider that could not be asked (or answered oddly) during the add-time check. */
const UNREACHABLE_CODES = new Set([
  'PROVIDER_UNREACHABLE',
  'TIMEOUT',
  'DISCOVERY_FAILED',
  'PROVIDER_ERROR',
  'INVALID_RESPONSE',
  'ISSUER_MISMATCH',
]);

/** An error of `account add` / `account edit`, phrased with flags and, for a provider not reached, `--no-check`. */
export function accountErrorForCli(error: CliError, command: string): CliError {
  let message = configPathsToFlags(error.message);
  if (error.code !== undefined && UNREACHABLE_CODES.has(error.code)) {
    message += `\nThe provider is asked before the account is saved. To save it anyway (offline setup, or a provider this machine cannot reach yet), add --no-check: token-broker ${command} … --no-check`;
  }
  return new CliError(message, error.exitCode, error.code, error.context);
}
