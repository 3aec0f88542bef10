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
  status [NAME] [--json]      who is signed in, token expiries, refresh tokens (exit 3: needs you)
  account add NAME ...        add an account (see 'token-broker account add --help')
  account edit NAME ...       change an account: scopes, approval, git hosts, endpoints, secret
  account rename OLD NEW      rename an account, keeping its tokens
  account show NAME [--json]  print an account's configuration (never a secret)
  account list [--json]       list accounts and their token status
  account remove NAME         forget an account (revokes its tokens)
  login NAME                  sign in (browser, device code or password)
  token NAME [--id-token]     print an access token (or the ID token)
  exec NAME -- CMD [ARGS...]  run CMD with the token in $ACCESS_TOKEN
  logout NAME                 revoke at the provider and forget the tokens
  audit [NAME] [--since 1h]   who got tokens, when
  service install|uninstall|status   run 'serve' at login (systemd user unit / launchd agent)
  completion bash|zsh|fish    print a shell completion script
  kubectl-credential NAME     kubectl exec credential plugin (ID or access token; v1 and v1beta1)
  kubeconfig NAME --server URL     print a kubeconfig entry that uses kubectl-credential
  git-credential get|store|erase   git credential helper
  dpop-proof NAME --method M --url U   a DPoP proof for one request (DPoP accounts)
  proxy NAME --upstream URL   an authenticating local proxy to URL (until Ctrl-C)
Container registries: docker-credential-token-broker, the docker credential helper (credHelpers).

Run 'token-broker <command> --help' for a command's options.
${ENV}
`,
  serve: `usage: token-broker serve [--tcp-required]

Runs the broker in the foreground without a GUI: the token API listens on the socket until
SIGINT or SIGTERM. Accounts with 'approval: ask' are denied (there is nobody to ask).
Set TOKEN_BROKER_PASSPHRASE_FILE to use a passphrase instead of the OS keychain; to start it
at login, see 'token-broker service --help'.
When the configured TCP listener port is taken by another program, the listener does not run
(GET /v1/health says so) and its key is revoked, since clients may have sent it there.
  --tcp-required   exit 1 instead (also: "settings": {"tcpListener": {"required": true}})
${ENV}
`,
  status: `usage: token-broker status [NAME] [--json]

Per account (or just NAME), like 'gh auth status': who it is signed in as, the grant, scopes
held vs configured, access and ID token expiry, whether a refresh token is held, the last
refresh, the approval policy, git hosts and registries, and the next command when something
needs you. Never prints a token or a secret.
  --json    print the API's account details (GET /v1/accounts/NAME), one array
Exit 3 when an account shown needs a sign-in or its client secret.
`,
  account: `usage: token-broker account add|edit|rename|show|list|remove ...

  account add NAME ...       add an account (see 'token-broker account add --help')
  account edit NAME ...      change an account in place (see 'token-broker account edit --help')
  account rename OLD NEW     rename an account, keeping its secrets and tokens
  account show NAME [--json] print its configuration and which secrets are stored
  account list [--json]      list accounts and their token status
  account remove NAME        revoke its tokens and forget the account
`,
  'account add': `usage: token-broker account add NAME (--issuer URL | --authorization-endpoint URL --token-endpoint URL
          [--device-authorization-endpoint URL] [--revocation-endpoint URL] [--userinfo-endpoint URL])
          --client-id ID [--client-secret-stdin] [--auth ${CLIENT_AUTH_METHODS.join('|')}] [--key-id KID]
          --grant ${GRANTS.join('|')}
          [--scope "a b"] [--redirect-uri URI] [--allow-legacy] [--approval auto|ask]
          [--git-host HOST]... [--git-username NAME] [--param KEY=VALUE]... [--no-check]
          [--refresh auto|always|never] [--idle-after HOURS]
          [--registry HOST]... [--registry-username NAME] [--kubernetes-token-type id_token|access_token]
          [--dpop auto|on|off] [--exchange-audience AUDIENCE]...

  --issuer URL                 discover endpoints (OpenID Connect Discovery / RFC 8414)
  --authorization-endpoint URL, --token-endpoint URL, --device-authorization-endpoint URL,
  --revocation-endpoint URL    explicit endpoints (instead of, or overriding, discovery)
  --userinfo-endpoint URL      where to ask who signed in when there is no ID token (GitHub:
                               https://api.github.com/user)
  --client-id ID               the OAuth client id
  --client-secret-stdin        read the client secret from stdin (one trailing newline stripped);
                               with --auth private_key_jwt, read the PEM private key instead
  --auth METHOD                token endpoint auth (default: basic with a secret, none without)
  --key-id KID                 the key id (kid) for --auth private_key_jwt
  --grant GRANT                how tokens are obtained
  --scope "a b"                default scopes, space-separated
  --redirect-uri URI           loopback redirect; http://127.0.0.1/callback means any free port
  --allow-legacy               opt in to the legacy implicit and password grants
  --approval ask               every hand-out needs approval in the app (denied headless)
  --git-host HOST              use this account for git on HOST (repeatable; HOST/PATH to scope
                               to a path with credential.useHttpPath)
  --git-username NAME          username git sends with the token (default: oauth2)
  --registry HOST              answer docker-credential-token-broker for this container registry
                               (repeatable), with the access token as the password
  --registry-username NAME     username sent with it (default: oauth2accesstoken; GitLab: oauth2)
  --kubernetes-token-type T    what kubectl-credential hands out: id_token (OIDC clusters; the
                               default when the account requests openid) or access_token
  --param KEY=VALUE            extra authorization request parameter (repeatable), e.g.
                               access_type=offline for Google, audience=API for Auth0
  --dpop MODE                  DPoP sender-constrained tokens (RFC 9449): auto (default) when the
                               provider supports it, on always (Bearer refused), off never
  --exchange-audience A        allow token exchange (RFC 8693) for audience or resource A
                               (repeatable): token NAME --audience A
  --no-check                   save without asking the provider first (offline setup)
  --refresh MODE               refresh before expiry: auto (default: while the account is used,
                               tokens living a minute or more), always, or never (on demand only)
  --idle-after HOURS           with auto: hours without a hand-out before the account is idle and
                               its refresh token is left alone until the next use (default 12)

Before saving, the provider is asked: its discovery document (or, with explicit endpoints, that
they answer), that it names the same issuer, offers the grant and accepts the auth method. Each
problem is refused with the flag and value that fix it.
`,
  'account edit': `usage: token-broker account edit NAME [the flags of 'account add'] [--client-secret-stdin] [--no-check]

Changes only what the flags name; the rest of the account, its tokens and its secrets stay.
  --scope "a b"                new default scopes (the next token is requested with them)
  --approval auto|ask          the approval policy
  --git-host HOST              replaces the git hosts (repeatable; --git-host '' clears them)
  --git-username NAME          username git sends ('' for the default)
  --registry HOST              replaces the container registries (repeatable; --registry '' clears them)
  --registry-username NAME     username sent to them ('' for the default)
  --kubernetes-token-type T    id_token or access_token for Kubernetes ('' for the default)
  --param KEY=VALUE            sets one extra parameter; --param KEY= removes it
  --redirect-uri URI           the loopback redirect ('' for the default)
  --dpop MODE                  auto, on or off (the tokens are forgotten: sign in again)
  --exchange-audience A        replaces the allowed audiences (repeatable; '' allows none)
  --client-secret-stdin        store a new client secret (or PEM key) read from stdin
  --issuer URL, --authorization-endpoint URL, --token-endpoint URL,
  --device-authorization-endpoint URL, --revocation-endpoint URL, --userinfo-endpoint URL,
  --client-id ID, --auth METHOD,
  --key-id KID, --grant GRANT, --allow-legacy, --refresh MODE, --idle-after HOURS
                               as for 'account add'; '' removes an endpoint
  --no-check                   save without asking the provider (offline setup)
Changing the issuer, an endpoint the secret is sent to, or the client id needs the secret again
(--client-secret-stdin): a stored secret is only sent where it was entered for. Changing the
provider (--param included), client, auth method, grant or DPoP setting revokes and forgets the tokens (sign in
again); a change of provider, auth method or grant asks the provider first, unless --no-check.
`,
  'account rename': `usage: token-broker account rename OLD NEW

Gives the account a new name. Its secrets, tokens and signed-in user stay with it; scripts,
kubeconfigs and git settings that name OLD need NEW. The audit log keeps the old name for what
happened before.
`,
  'account show': `usage: token-broker account show NAME [--json]

Prints the account's configuration as in config.json and whether its client secret or private
key is stored — never the secret itself.
  --json    {"config": {...}, "secrets": {"client_secret": bool, "private_key": bool}}
`,
  'account list': `usage: token-broker account list [--json]

Lists accounts with grant, status (ok, expired, needs_login, needs_secret, error), expiry and
scopes. An account whose client secret is missing prints the command that stores it on stderr;
one not used for its idle time says "idle, refreshes on next use".
  --json    print the API's JSON array (with "refresh": proactive|on_demand|idle|none)
`,
  'account remove': `usage: token-broker account remove NAME

Revokes the account's tokens at the provider where possible and forgets the account.
`,
  audit: `usage: token-broker audit [NAME] [--since WHEN] [--limit N] [--json]

Who asked for tokens of which account, when, and the outcome (granted, denied, needs_login,
error, refused), newest first, from the broker's audit log, with the program the broker saw
connecting (verified on the socket; "unverified" over TCP). Never a token.
  --since WHEN   30m, 1h, 2d, or an ISO date/time (2025-06-01, 2025-06-01T09:30)
  --limit N      at most N entries
  --json         the API's entries: "at" in epoch seconds (milliseconds as the fraction)
`,
  service: `usage: token-broker service install|uninstall|status

  service install [--passphrase-file FILE | --keychain]   write and start a systemd user unit
                  (Linux) or a launchd agent (macOS) that runs 'token-broker serve' at login
  service uninstall    stop it and remove the unit or agent
  service status       installed, enabled, running (exit 3 when not running)
`,
  'service install': `usage: token-broker service install [--passphrase-file FILE | --keychain]

Writes ~/.config/systemd/user/token-broker.service (Linux) or
~/Library/LaunchAgents/dev.tokenbroker.serve.plist (macOS) for 'token-broker serve' on this
data directory, and enables and starts it.
  --passphrase-file FILE   the vault key is derived from this 0600 file (servers, no desktop)
  --keychain               the vault key stays in the OS keychain (a desktop session)
A vault that exists already decides: a keychain vault needs the keychain, a passphrase vault its
file. On a server, run 'sudo loginctl enable-linger USER' so it runs while you are logged out.
`,
  'service uninstall': `usage: token-broker service uninstall

Stops and disables the service and removes its unit or agent file. The data directory stays.
`,
  'service status': `usage: token-broker service status

Whether the service is installed, enabled and running (and on Linux whether lingering is on).
Exit 0 when it runs, 3 when not.
`,
  completion: `usage: token-broker completion bash|zsh|fish

Prints a completion script for commands, options and account names (from the running broker).
  bash:  token-broker completion bash > ~/.local/share/bash-completion/completions/token-broker
  zsh:   add to ~/.zshrc, after compinit:  source <(token-broker completion zsh)
  fish:  token-broker completion fish > ~/.config/fish/completions/token-broker.fish
`,
  login: `usage: token-broker login NAME [--no-browser] [--allow-other-user] [--username U --password-stdin]

Signs in and says who signed in. The browser is given a one-shot start URL on 127.0.0.1 (printed
on a line of its own on stderr; it works once), or the device verification URL and user code;
exits 0 once the sign-in completed. A sign-in as another user than the account's is refused and
the account keeps its tokens.
  --no-browser        do not open a browser; open the printed URL yourself (the default in an
                      SSH session and on Linux without DISPLAY or WAYLAND_DISPLAY)
  --allow-other-user  accept a sign-in as another user than before (switch the account)
  --username U        password grant: the user name
  --password-stdin    password grant: read the password from stdin (used once, never stored)
`,
  token: `usage: token-broker token NAME [--id-token] [--min-ttl SECONDS] [--scope "a b"] [--audience A] [--resource R]
          [--format raw|json|header|env] [--method M --url U]

Prints an access token, refreshed first if it expires within --min-ttl seconds.
  --id-token        print the OpenID Connect ID token instead (its own expiry counts for
                    --min-ttl; the account needs the openid scope). For Kubernetes OIDC,
                    AWS AssumeRoleWithWebIdentity, GCP workload identity federation, Vault JWT auth
  --format raw      the token (default)
  --format json     {"access_token","token_type","expires_at","expires_in","scope"}
                    (--id-token: {"id_token","expires_at","expires_in"})
  --format header   Authorization: Bearer <token> (for DPoP accounts, with --method and --url,
                    also the DPoP: <proof> line; use with curl -H @<(token-broker token ...))
  --format env      export ACCESS_TOKEN=..., TOKEN_TYPE=..., TOKEN_BROKER_EXPIRES_AT=... (epoch seconds) lines
                    (--id-token: export ID_TOKEN=..., TOKEN_BROKER_EXPIRES_AT=...)
  --audience A, --resource R   a token exchanged for A / R (RFC 8693); the account must allow
                    them (--exchange-audience); cached like the account's own token
Exit 3 when the account needs a sign-in (or its provider issued no new ID token), 4 when the
request was denied.
`,
  'dpop-proof': `usage: token-broker dpop-proof NAME --method M --url U [--nonce N] [--scope S] [--audience A] [--resource R]

Prints a DPoP proof (RFC 9449) for one request with the account's access token (the one
'token NAME' prints, with the same --scope/--audience/--resource). The broker signs it with the
account's key, which never leaves the broker. A proof is good for one request, about a minute.
  --nonce N    the DPoP-Nonce the server asked for (remembered for that server)
  curl -H "Authorization: DPoP $(token-broker token NAME)" \
       -H "DPoP: $(token-broker dpop-proof NAME --method GET --url https://api.example.com/me)" \
       https://api.example.com/me
`,
  proxy: `usage: token-broker proxy NAME --upstream URL [--listen 127.0.0.1:PORT | --socket PATH]

Runs an authenticating proxy in the broker until Ctrl-C: requests to the listen address (default
127.0.0.1 with a free port, printed on stdout) go to URL with a fresh Authorization (and DPoP
proof) of account NAME; any Authorization the client sends is dropped. Bodies, server-sent
events and WebSockets stream through. Only you can use it: on TCP, requests from web pages
(Origin), for other Host names and from other users are refused.
  --listen 127.0.0.1:PORT   loopback TCP address (also [::1]:PORT)
  --socket PATH             a Unix socket instead (in a private directory)
Proxies that should always run go in config.json: "proxies": [{"account","upstream","listen"}].
`,
  exec: `usage: token-broker exec NAME [--env VAR] [--id-token-env VAR] [--min-ttl SECONDS] [--scope "a b"] -- COMMAND [ARGS...]

Runs COMMAND with the access token in the environment variable VAR (default ACCESS_TOKEN) and
exits with its status. Signals are passed on to COMMAND.
  --id-token-env VAR   put the ID token in VAR; then the access token is passed only if --env
                       is given too
`,
  logout: `usage: token-broker logout NAME

Revokes the tokens at the provider (RFC 7009, where supported) and forgets them; the account
stays, and 'token' exits 3 until you 'login' again.
`,
  'kubectl-credential': `usage: token-broker kubectl-credential NAME [--token-type id_token|access_token]

kubectl's exec credential plugin. Prints an ExecCredential in the apiVersion kubectl asks for
(client.authentication.k8s.io/v1 or v1beta1) holding the ID token (clusters that use OpenID
Connect, as kubelogin sets them up) or the access token: --token-type, else the account's
kubernetes.tokenType, else id_token when the account requests openid.
When the account needs a sign-in and kubectl runs in a terminal (interactiveMode IfAvailable or
Always), the sign-in starts in the browser and kubectl continues once it is done; otherwise it
exits 3. token-broker must be on kubectl's PATH. A kubeconfig entry:
  users:
  - name: me
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: token-broker
        args: [kubectl-credential, NAME]
        interactiveMode: IfAvailable
Or let 'token-broker kubeconfig NAME --server URL' print one.
`,
  kubeconfig: `usage: token-broker kubeconfig NAME --server URL [--ca-file FILE]

Prints a kubeconfig (cluster, user and context named after NAME) whose user runs
'token-broker kubectl-credential NAME'. Save it as its own file and add it to KUBECONFIG, or
merge it with 'kubectl config view --flatten'.
  --server URL     the cluster's API server (https://)
  --ca-file FILE   PEM CA certificate(s) of the API server, embedded in the entry
TOKEN_BROKER_HOME and TOKEN_BROKER_SOCKET, when set, are written into the entry's env:.
`,
  'git-credential': `usage: token-broker git-credential get|store|erase

git credential helper: answers 'get' with username and the access token of the account whose
--git-host matches; 'store' and 'erase' do nothing. Configure it with:
  git config --global credential.https://github.com.helper '!token-broker git-credential'
`,
};
