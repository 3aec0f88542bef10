/**
 * The CLI where people slip and what they expect after gh, gcloud and aws-vault, against a real
 * `token-broker serve` and the oidc-provider fixture: status, account show/edit/rename, the
 * checks at `account add`, did-you-mean, the remedies for invalid_client and an https typo,
 * `--format env`, exec's expiry, audit, completion with account names from the broker, and
 * `service install` meeting a machine without a user service manager. Each message is asserted
 * with its remedy and exit code; machine formats keep stdout clean; no secret is ever printed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAuthServer } from '../support/fixtures.js';
import { cliPath, runCli, startCli, useSandbox, useServe, type CliResult } from './support/cli.js';
import { loginWithBrowser, URL_LINE } from './support/login-flow.js';

const server = useAuthServer();
const sandbox = useSandbox();
const broker = useServe(sandbox);

/** A provider whose metadata offers only the authorization code grant and client_secret_post. */
let narrow: Server;
let narrowIssuer: string;

const cli = (args: string[], stdin?: string): Promise<CliResult> => runCli(args, sandbox.env, stdin);

/** Every secret the tests hand the broker or get from it; none may appear in human or JSON output. */
const secrets = new Set<string>();

function expectNoSecret(text: string): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

async function ok(args: string[], stdin?: string): Promise<CliResult> {
  const result = await cli(args, stdin);
  expect(result.stderr, `${args.join(' ')}: ${result.stderr}`).not.toMatch(/^token-broker: /m);
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result;
}

/** Whether something listens on 127.0.0.1:port. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function ccFlags(clientId = server.clients.basic.clientId): string[] {
  return [
    '--issuer',
    server.issuer,
    '--client-id',
    clientId,
    '--client-secret-stdin',
    '--grant',
    'client_credentials',
    '--scope',
    'api read',
  ];
}

beforeAll(async () => {
  secrets.add(server.clients.basic.clientSecret).add(server.clients.post.clientSecret);
  narrow = createServer((req, res) => {
    const doc = {
      issuer: narrowIssuer,
      authorization_endpoint: `${narrowIssuer}/auth`,
      token_endpoint: `${narrowIssuer}/token`,
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
    };
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => narrow.listen(0, '127.0.0.1', resolve));
  narrowIssuer = `http://127.0.0.1:${(narrow.address() as AddressInfo).port}`;
  await ok(['account', 'add', 'work', ...ccFlags()], `${server.clients.basic.clientSecret}\n`);
  await ok([
    'account',
    'add',
    'web',
    '--issuer',
    server.issuer,
    '--client-id',
    server.clients.public.clientId,
    '--grant',
    'authorization_code',
  ]);
  await ok(['account', 'edit', 'web', '--scope', 'openid profile email offline_access api']);
  const login = await loginWithBrowser('web', sandbox.env);
  expect(login.code, login.stderr).toBe(0);
});

afterAll(async () => {
  await new Promise((resolve) => narrow?.close(resolve));
});

describe('serve', () => {
  it('says where it listens once', () => {
    expect(broker.stderr().match(/listening on/g)).toHaveLength(1);
  });
});

describe('did you mean', () => {
  it('an account name', async () => {
    const result = await cli(['token', 'wrok']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("Did you mean 'work'?");
  });

  it('an option, without Node parser text', async () => {
    const result = await cli(['token', 'work', '--fromat', 'json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("Unknown option --fromat for 'token'. Did you mean --format?");
    expect(result.stderr).not.toMatch(/positional argument|ERR_PARSE_ARGS|TypeError/);
    const missing = await cli(['token', 'work', '--format']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--format needs a value');
  });

  it('a command and a subcommand', async () => {
    const command = await cli(['tokne', 'work']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("Unknown command 'tokne'. Did you mean 'token'?");
    const sub = await cli(['account', 'lsit']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("Did you mean 'list'?");
  });

  it('a secret on the command line points to stdin and is never echoed', async () => {
    const result = await cli(['account', 'add', 'x', '--issuer', server.issuer, '--client-id', 'a', '--client-secret=SEKRET-on-argv-1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('secrets are read from stdin');
    expect(result.stderr).toContain('--client-secret-stdin');
    expect(result.stderr).not.toContain('SEKRET-on-argv-1');
  });
});

describe('status and account show', () => {
  it('status shows the signed-in user, tokens and scopes, and never a secret', async () => {
    const result = await ok(['status', 'web']);
    expect(result.stdout).toContain('web (authorization_code)');
    expect(result.stdout).toMatch(/✓ Signed in as \S+/);
    expect(result.stdout).toMatch(/access token +in \d+m/);
    expect(result.stdout).toMatch(/ID token +in \d+m/);
    expect(result.stdout).toContain('refresh token  held');
    expect(result.stdout).toContain('approval       auto');
    expectNoSecret(result.stdout);
    const json = JSON.parse((await ok(['status', '--json'])).stdout) as {
      name: string;
      identity: { sub: string } | null;
      refresh_token: boolean;
    }[];
    expect(json.map((a) => a.name).sort()).toEqual(['web', 'work']);
    const web = json.find((a) => a.name === 'web');
    expect(web?.identity?.sub).toBe('alice');
    expect(web?.refresh_token).toBe(true);
  });

  it('account show prints the configuration, not the secret; --json is clean JSON', async () => {
    const text = await ok(['account', 'show', 'work']);
    expect(text.stdout).toMatch(/^provider\.issuer +http:\/\/127\.0\.0\.1:\d+$/m);
    expect(text.stdout).toMatch(/^secret\.client_secret +stored in the vault$/m);
    expectNoSecret(text.stdout);
    const json = await ok(['account', 'show', 'work', '--json']);
    const body = JSON.parse(json.stdout) as { config: { client: { id: string } }; secrets: { client_secret: boolean } };
    expect(body.config.client.id).toBe(server.clients.basic.clientId);
    expect(body.secrets.client_secret).toBe(true);
    expect(json.stderr).toBe('');
    expectNoSecret(json.stdout);
  });

  it('account list --json is the API array', async () => {
    const list = JSON.parse((await ok(['account', 'list', '--json'])).stdout) as { name: string }[];
    expect(list.map((a) => a.name).sort()).toEqual(['web', 'work']);
  });
});

describe('account edit and rename', () => {
  it('changes scopes and approval in place; an endpoint change needs the secret again', async () => {
    const token = (await ok(['token', 'web'])).stdout;
    const edited = await ok(['account', 'edit', 'web', '--approval', 'auto', '--git-host', 'git.example.test']);
    expect(edited.stderr).toBe('Updated account web.\n');
    // Same provider, client and grant: the signed-in tokens stay.
    expect((await ok(['token', 'web'])).stdout).toBe(token);
    await ok(['account', 'edit', 'web', '--git-host', '']);
    expect(JSON.parse((await ok(['account', 'show', 'web', '--json'])).stdout)).not.toHaveProperty('config.git');

    await ok(['account', 'edit', 'work', '--scope', 'api', '--approval', 'auto']);
    const shown = JSON.parse((await ok(['account', 'show', 'work', '--json'])).stdout) as { config: { scopes: string[] } };
    expect(shown.config.scopes).toEqual(['api']);
    expect((await ok(['account', 'edit', 'work'])).stderr).toContain('Nothing to change in work');
    const moved = await cli(['account', 'edit', 'work', '--issuer', narrowIssuer]);
    expect(moved.code).toBe(2);
    expect(moved.stderr).toContain('needs the client secret again');
    expect(moved.stderr).toContain('--client-secret-stdin');
    // With the secret, the provider is asked first: it does not offer client credentials.
    const refused = await cli(['account', 'edit', 'work', '--issuer', narrowIssuer, '--client-secret-stdin'], 'x\n');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--grant: The provider does not offer the client_credentials grant');
    expect(refused.stderr).not.toMatch(/\bprovider\.issuer\b|(^|\s)grant:/m);
    expect(JSON.parse((await ok(['account', 'show', 'work', '--json'])).stdout)).toHaveProperty('config.provider.issuer', server.issuer);
  });

  it('rename keeps the tokens; add of an existing name points to edit', async () => {
    const before = (await ok(['token', 'web'])).stdout;
    secrets.add(before.trim());
    await ok(['account', 'rename', 'web', 'web2']);
    expect((await ok(['token', 'web2'])).stdout).toBe(before);
    expect((await cli(['token', 'web'])).stderr).toContain("Did you mean 'web2'?");
    await ok(['account', 'rename', 'web2', 'web']);
    const again = await cli(['account', 'add', 'work', ...ccFlags()], `${server.clients.basic.clientSecret}\n`);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("Change it with 'token-broker account edit work …'");
  });
});

describe('checks at account add', () => {
  it('refuses a mismatched issuer with the exact one to use', async () => {
    const result = await cli(['account', 'add', 'slash', ...ccFlags().map((f) => (f === server.issuer ? `${server.issuer}/` : f))], 'x\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--issuer ${server.issuer}`);
    expect(result.stderr).not.toMatch(/accounts\[\d+\]/);
  });

  it('refuses plain http off this machine', async () => {
    const result = await cli([
      'account',
      'add',
      'plain',
      '--issuer',
      'http://id.example.com',
      '--client-id',
      'a',
      '--grant',
      'authorization_code',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--issuer https://id.example.com');
  });

  it('refuses a grant or auth method the provider does not offer, naming the flag and the choices', async () => {
    const grant = await cli(['account', 'add', 'n1', '--issuer', narrowIssuer, '--client-id', 'a', '--grant', 'device_code']);
    expect(grant.code).toBe(2);
    expect(grant.stderr).toContain('--grant authorization_code');
    const auth = await cli(
      ['account', 'add', 'n2', '--issuer', narrowIssuer, '--client-id', 'a', '--client-secret-stdin', '--grant', 'authorization_code'],
      's\n',
    );
    expect(auth.code).toBe(2);
    expect(auth.stderr).toContain('--auth post');
  });

  it('an https typo against an http server names what to check; --no-check adds offline', async () => {
    const https = server.issuer.replace('http://', 'https://');
    const typo = await cli(['account', 'add', 'tls', '--issuer', https, '--client-id', 'a', '--grant', 'authorization_code']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/http:\/\//);
    expect(typo.stderr).toContain('--no-check');
    await ok([
      'account',
      'add',
      'offline',
      '--issuer',
      'https://127.0.0.1:9/nowhere',
      '--client-id',
      'a',
      '--grant',
      'authorization_code',
      '--no-check',
    ]);
    await ok(['account', 'remove', 'offline']);
  });
});

describe('provider errors', () => {
  it('invalid_client explains the wrong secret and the other auth method', async () => {
    await ok(['account', 'add', 'bad', ...ccFlags()], 'not-the-secret\n');
    const result = await cli(['token', 'bad']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('the client secret is wrong');
    expect(result.stderr).toContain('token-broker account edit bad --client-secret-stdin');
    expect(result.stderr).toContain('token-broker account edit bad --auth post --client-secret-stdin');
    await ok(['account', 'edit', 'bad', '--client-secret-stdin'], `${server.clients.basic.clientSecret}\n`);
    await ok(['token', 'bad']);
    await ok(['account', 'remove', 'bad']);
  });
});

describe('shapes people paste into shells', () => {
  it('token --format env prints export lines with the expiry', async () => {
    const result = await ok(['token', 'work', '--format', 'env']);
    expect(result.stdout).toMatch(/^export ACCESS_TOKEN=\S+\nexport TOKEN_TYPE=Bearer\nexport TOKEN_BROKER_EXPIRES_AT=\d{10}\n$/);
    const sourced = spawnSync('sh', ['-c', `${result.stdout}\necho "$TOKEN_BROKER_EXPIRES_AT"`], { encoding: 'utf8' });
    expect(Number(sourced.stdout.trim())).toBeGreaterThan(Date.now() / 1000);
  });

  it('exec sets TOKEN_BROKER_EXPIRES_AT in epoch seconds', async () => {
    const result = await ok(['exec', 'work', '--', 'sh', '-c', 'echo "$TOKEN_BROKER_EXPIRES_AT"']);
    const at = Number(result.stdout.trim());
    expect(at).toBeGreaterThan(Date.now() / 1000 + 60);
    expect(at).toBeLessThan(Date.now() / 1000 + 7200);
  });
});

describe('audit', () => {
  it('lists hand-outs with times in seconds; --since filters; bad input is a usage error', async () => {
    await ok(['token', 'work']);
    const json = JSON.parse((await ok(['audit', 'work', '--since', '1h', '--json'])).stdout) as {
      at: number;
      account: string;
      outcome: string;
    }[];
    expect(json.length).toBeGreaterThan(0);
    for (const entry of json) {
      expect(entry.account).toBe('work');
      expect(entry.at).toBeGreaterThan(Date.now() / 1000 - 3600);
      expect(entry.at).toBeLessThan(Date.now() / 1000 + 5);
    }
    const table = await ok(['audit', '--since', '1h']);
    expect(table.stdout).toMatch(/^TIME +ACCOUNT +CLIENT +OUTCOME/);
    expect(table.stdout).toContain('token-broker token');
    expectNoSecret(table.stdout);
    // The file has the API's unit too: epoch seconds, the same instants `audit --json` shows.
    const file = await readFile(join(sandbox.home, 'audit.log'), 'utf8');
    const lines = file
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { at: number; account: string });
    const fromFile = lines.filter((l) => l.account === 'work').map((l) => l.at);
    expect(fromFile.length).toBeGreaterThan(0);
    for (const at of fromFile) {
      expect(at).toBeGreaterThan(Date.now() / 1000 - 3600);
      expect(at).toBeLessThan(Date.now() / 1000 + 5);
    }
    expect(json.map((e) => e.at)).toContain(fromFile.at(-1));
    const bad = await cli(['audit', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since takes 30m, 1h');
  });
});

describe('completion', () => {
  it('bash completes account names from the running broker, and nothing without one', async () => {
    const bin = join(sandbox.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'token-broker'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(await cliPath())} "$@"\n`,
    );
    chmodSync(join(bin, 'token-broker'), 0o755);
    const script = (await ok(['completion', 'bash'])).stdout;
    const complete = (env: NodeJS.ProcessEnv): string =>
      spawnSync(
        'bash',
        [
          '--norc',
          '--noprofile',
          '-c',
          `${script}\nCOMP_WORDS=(token-broker token w); COMP_CWORD=2; _token_broker; echo "\${COMPREPLY[*]}"`,
        ],
        { env: { ...env, PATH: `${bin}:${env.PATH ?? ''}` }, encoding: 'utf8' },
      ).stdout.trim();
    expect(complete(sandbox.env).split(' ').sort()).toEqual(['web', 'work']);
    expect(complete({ ...sandbox.env, TOKEN_BROKER_SOCKET: join(sandbox.dir, 'none.sock') })).toBe('');
  });
});

describe('service install', () => {
  it('writes the unit, then says what to do when no systemd user manager answers', async () => {
    const home = join(sandbox.dir, 'svc-home');
    mkdirSync(home, { recursive: true });
    const pass = join(home, 'passphrase');
    writeFileSync(pass, 'x\n', { mode: 0o600 });
    const env = {
      ...sandbox.env,
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      DBUS_SESSION_BUS_ADDRESS: '',
      XDG_RUNTIME_DIR: join(home, 'run'),
    };
    // A new data directory on a machine without a desktop session: no keychain to keep the key in.
    const headless = await runCli(['service', 'install'], { ...env, TOKEN_BROKER_HOME: join(home, 'fresh') });
    expect(headless.code).toBe(2);
    expect(headless.stderr).toContain('--passphrase-file FILE');
    // This vault uses the keychain: the service must, too.
    const mixed = await runCli(['service', 'install', '--passphrase-file', pass], env);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('drop --passphrase-file');
    const result = await runCli(['service', 'install'], env);
    const unit = await readFile(join(home, 'config/systemd/user/token-broker.service'), 'utf8');
    expect(unit).toContain(`Environment="TOKEN_BROKER_HOME=${sandbox.home}"`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('systemctl --user daemon-reload failed');
    expect(result.stderr).toContain('loginctl enable-linger');
    const status = await runCli(['service', 'status'], env);
    expect(status.stdout).toContain('running   no');
  });
});

describe('login', () => {
  it('without a display prints the URL like --no-browser, and Ctrl-C cancels with exit 130', async () => {
    const running = await startCli(['login', 'web'], { ...sandbox.env, DISPLAY: '', WAYLAND_DISPLAY: '' });
    const [, url] = await running.waitForStderr(URL_LINE);
    expect(running.stderr()).toContain('No display here (neither DISPLAY nor WAYLAND_DISPLAY is set)');
    // The printed URL is the one-shot start URL on the sign-in's loopback listener (issue 10).
    const start = new URL(url as string);
    expect(start.hostname).toBe('127.0.0.1');
    const port = start.port;
    // From a browser elsewhere, the loopback redirect needs a tunnel: the exact command is printed.
    await running.waitForStderr(new RegExp(`ssh -L ${port}:127\\.0\\.0\\.1:${port}`));
    expect(await connects(Number(port))).toBe(true);
    running.child.kill('SIGINT');
    const { code } = await running.exited;
    expect(code).toBe(130);
    expect(running.stderr()).toContain('sign-in to web cancelled');
    expect(running.stdout()).toBe('');
    // The broker cancelled the flow: its loopback listener closes.
    await expect.poll(() => connects(Number(port)), { timeout: 10_000 }).toBe(false);
  });
});

describe('a client secret that went missing', () => {
  it('shows needs_secret with the fix, and edit --client-secret-stdin mends it', async () => {
    await broker.stop();
    const configPath = join(sandbox.home, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { accounts: Record<string, unknown>[] };
    config.accounts.push({
      name: 'handmade',
      provider: { issuer: server.issuer },
      client: { id: server.clients.post.clientId, auth: 'post' },
      grant: 'client_credentials',
    });
    await writeFile(configPath, JSON.stringify(config, null, 2));
    await broker.start();
    const list = await ok(['account', 'list']);
    expect(list.stdout).toMatch(/^handmade +client_credentials +needs_secret/m);
    const status = await cli(['status', 'handmade']);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('token-broker account edit handmade --client-secret-stdin');
    const token = await cli(['token', 'handmade']);
    expect(token.code).not.toBe(0);
    expect(token.stderr).toContain('account edit handmade --client-secret-stdin');
    await ok(['account', 'edit', 'handmade', '--client-secret-stdin'], `${server.clients.post.clientSecret}\n`);
    expect((await ok(['status', 'handmade'])).stdout).toMatch(/^ {2}status +ok$/m);
  });
});
