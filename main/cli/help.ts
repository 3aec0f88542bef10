/**
 * Help texts, loaded only for `--help`. Every command has one; they mirror the README's CLI
 * section. Grant and auth method lists come from main/shared, so they cannot fall behind.
 */
import { CLIENT_AUTH_METHODS } from '../shared/client-auth.js';
import { GRANTS } from '../shared/grants.js';

const ENV = `Environment:
  TOKEN_BROKER_HOME     data directory (default: the OS's per-user app data directory)
  TOKEN_BROKER_SOCKET   socket path (default: $TOKEN_BROKER_HOME/broker.sock)
  TOKEN_BROKER_PASSPHRASE_FILE   serve: derive the vault key from this file, not the keychain
  TOKEN_BROKER_PROACTIVE_REFRESH=off   serve: refresh only when a client asks
Exit codes: 0 ok, 1 error, 2 usage, 3 needs login, 4 denied.`;

export const HELP: Record<string, string> = {
  main: `usage: token-broker <command> [options]

Commands:
  serve                       run the broker headless on the socket (no GUI)
  account add NAME ...        add an account (see 'token-broker account add --help')
  account list [--json]       list accounts and their token status
  account remove NAME         forget an account (revokes its tokens)
  login NAME                  sign in (browser, device code or password)
  token NAME                  print an access token
  exec NAME -- CMD [ARGS...]  run CMD with the token in $ACCESS_TOKEN
  logout NAME                 revoke at the provider and forget the tokens
  kubectl-credential NAME     kubectl exec credential plugin (client.authentication.k8s.io/v1)
  git-credential get|store|erase   git credential helper

Run 'token-broker <command> --help' for a command's options.
${ENV}
`,
  serve: `usage: token-broker serve

Runs the broker in the foreground without a GUI: the token API listens on the socket until
SIGINT or SIGTERM. Accounts with 'approval: ask' are denied (there is nobody to ask).
Set TOKEN_BROKER_PASSPHRASE_FILE to use a passphrase instead of the OS keychain.
${ENV}
`,
  account: `usage: token-broker account add|list|remove ...

  account add NAME ...     add an account (see 'token-broker account add --help')
  account list [--json]    list accounts and their token status
  account remove NAME      revoke its tokens and forget the account
`,
  'account add': `usage: token-broker account add NAME (--issuer URL | --authorization-endpoint URL --token-endpoint URL
          [--device-authorization-endpoint URL] [--revocation-endpoint URL])
          --client-id ID [--client-secret-stdin] [--auth ${CLIENT_AUTH_METHODS.join('|')}] [--key-id KID]
          --grant ${GRANTS.join('|')}
          [--scope "a b"] [--redirect-uri URI] [--allow-legacy] [--approval auto|ask]
          [--git-host HOST]... [--git-username NAME] [--param KEY=VALUE]...
          [--refresh auto|always|never] [--idle-after HOURS]

  --issuer URL                 discover endpoints (OpenID Connect Discovery / RFC 8414)
  --client-secret-stdin        read the client secret from stdin (one trailing newline stripped);
                               with --auth private_key_jwt, read the PEM private key instead
  --auth METHOD                token endpoint auth (default: basic with a secret, none without)
  --redirect-uri URI           loopback redirect; http://127.0.0.1/callback means any free port
  --allow-legacy               opt in to the legacy implicit and password grants
  --approval ask               every hand-out needs approval in the app (denied headless)
  --git-host HOST              use this account for git on HOST (repeatable; HOST/PATH to scope
                               to a path with credential.useHttpPath)
  --git-username NAME          username git sends with the token (default: oauth2)
  --param KEY=VALUE            extra authorization request parameter (repeatable), e.g.
                               access_type=offline for Google, audience=API for Auth0
  --refresh MODE               refresh before expiry: auto (default: while the account is used,
                               tokens living a minute or more), always, or never (on demand only)
  --idle-after HOURS           with auto: hours without a hand-out before the account is idle and
                               its refresh token is left alone until the next use (default 12)
`,
  'account list': `usage: token-broker account list [--json]

Lists accounts with grant, status (ok, expired, needs_login, error), expiry and scopes; an
account not used for its idle time says "idle, refreshes on next use".
  --json    print the API's JSON array (with "refresh": proactive|on_demand|idle|none)
`,
  'account remove': `usage: token-broker account remove NAME

Revokes the account's tokens at the provider where possible and forgets the account.
`,
  login: `usage: token-broker login NAME [--no-browser] [--username U --password-stdin]

Signs in. The authorization (or device verification) URL is printed on a line of its own on
stderr, with the user code for the device grant; exits 0 once the sign-in completed.
  --no-browser       do not open a browser; open the printed URL yourself
  --username U       password grant: the user name
  --password-stdin   password grant: read the password from stdin (used once, never stored)
`,
  token: `usage: token-broker token NAME [--min-ttl SECONDS] [--scope "a b"] [--format raw|json|header|env]

Prints an access token, refreshed first if it expires within --min-ttl seconds.
  --format raw      the token (default)
  --format json     {"access_token","token_type","expires_at","expires_in","scope"}
  --format header   Authorization: Bearer <token>
  --format env      ACCESS_TOKEN=..., TOKEN_TYPE=..., TOKEN_EXPIRES_AT=... lines
Exit 3 when the account needs a sign-in, 4 when the request was denied.
`,
  exec: `usage: token-broker exec NAME [--env VAR] [--min-ttl SECONDS] [--scope "a b"] -- COMMAND [ARGS...]

Runs COMMAND with the access token in the environment variable VAR (default ACCESS_TOKEN) and
exits with its status. Signals are passed on to COMMAND.
`,
  logout: `usage: token-broker logout NAME

Revokes the tokens at the provider (RFC 7009, where supported) and forgets them; the account
stays, and 'token' exits 3 until you 'login' again.
`,
  'kubectl-credential': `usage: token-broker kubectl-credential NAME

Prints a client.authentication.k8s.io/v1 ExecCredential for kubectl's exec plugin:
  users:
  - name: me
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: token-broker
        args: [kubectl-credential, NAME]
        interactiveMode: Never
`,
  'git-credential': `usage: token-broker git-credential get|store|erase

git credential helper: answers 'get' with username and the access token of the account whose
--git-host matches; 'store' and 'erase' do nothing. Configure it with:
  git config --global credential.https://github.com.helper '!token-broker git-credential'
`,
};
