/**
 * A cluster configured for OpenID Connect the way kubelogin documents it, reached with the real
 * kubectl 1.32 through Token Broker and nothing else: `token-broker serve` on a temp home, the
 * oidc-provider fixture as the identity provider, the HTTPS API stand-in authenticating like
 * kube-apiserver's OIDC authenticator (test/support/kube-api-server.ts), `token-broker` on
 * kubectl's PATH, kubeconfigs in client.authentication.k8s.io/v1 and v1beta1.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { useAuthServer, useChromium, useFixture } from '../support/fixtures.js';
import { execKubeconfig, startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { runKubectl } from '../support/kubectl.js';
import { completeLoginInChromium } from '../support/login.js';
import { binDir, runCli, useSandbox, useServe } from './support/cli.js';
import { loginWithBrowser } from './support/login-flow.js';

type ExecApiVersion = 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';
const V1: ExecApiVersion = 'client.authentication.k8s.io/v1';
const V1BETA1: ExecApiVersion = 'client.authentication.k8s.io/v1beta1';

const server = useAuthServer();
const sandbox = useSandbox();
// Refreshes happen only when a client asks, so the provider's counters say what kubectl caused.
const broker = useServe(sandbox, { TOKEN_BROKER_PROACTIVE_REFRESH: 'off' });
const chromium = useChromium();
const kube = useFixture<KubeApiServer>({
  name: 'kube-api-server',
  scope: 'file',
  setup: () => startKubeApiServer({ issuer: server.issuer, clientId: server.clients.public.clientId }),
  teardown: (api) => api.close(),
});

const cli = (args: string[], stdin?: string) => runCli(args, sandbox.env, stdin);

/** kubectl's environment: token-broker on PATH; the broker's home and socket come from the kubeconfig's env:. */
async function kubectlEnv(): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { PATH: `${await binDir()}:${process.env.PATH ?? ''}` };
  return env;
}

/** A kubeconfig whose exec plugin is `token-broker kubectl-credential NAME [extra…]`, pointed at the sandbox's broker. */
function kubeconfigFor(name: string, apiVersion: ExecApiVersion, extra: string[] = [], interactiveMode?: 'Never' | 'IfAvailable'): string {
  const mode = interactiveMode ?? (apiVersion === V1 ? 'Never' : undefined);
  return execKubeconfig({
    server: kube.url,
    caFile: kube.caFile,
    apiVersion,
    command: 'token-broker',
    args: ['kubectl-credential', name, ...extra],
    env: { TOKEN_BROKER_HOME: sandbox.home, TOKEN_BROKER_SOCKET: sandbox.socketPath },
    ...(mode === undefined ? {} : { interactiveMode: mode }),
  });
}

async function addOidcAccount(name: string, extra: string[] = []): Promise<void> {
  const result = await cli([
    'account',
    'add',
    name,
    '--issuer',
    server.issuer,
    '--client-id',
    server.clients.public.clientId,
    '--auth',
    'none',
    '--grant',
    'authorization_code',
    '--scope',
    'openid profile api',
    ...extra,
  ]);
  expect(result.stderr).toContain(`Added account ${name}`);
}

async function signedIn(name: string, extra: string[] = []): Promise<void> {
  await addOidcAccount(name, extra);
  const login = await loginWithBrowser(name, sandbox.env);
  expect(login.code).toBe(0);
}

const kubectl = async (args: string[], kubeconfig: string, options: { tty?: boolean; onOutput?: (text: string) => void } = {}) =>
  runKubectl(args, { dir: sandbox.dir, kubeconfig, env: await kubectlEnv(), ...options });

describe('kubectl through token-broker against an OIDC cluster', () => {
  it('a kubeconfig from `token-broker kubeconfig` gets /api with the ID token', async () => {
    await signedIn('cluster');
    const printed = await cli(['kubeconfig', 'cluster', '--server', kube.url, '--ca-file', kube.caFile]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(`name: "TOKEN_BROKER_SOCKET"\n        value: ${JSON.stringify(sandbox.socketPath)}`);
    const before = kube.requests.length;
    const result = await kubectl(['get', '--raw', '/api'], printed.stdout);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect(kube.requests.slice(before).at(-1)).toMatchObject({ path: '/api', status: 200, username: `${server.issuer}#alice` });
    const whoami = await kubectl(['auth', 'whoami', '-o', 'json'], printed.stdout);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ status: { userInfo: { username: `${server.issuer}#alice` } } });
  });

  describe.each([V1, V1BETA1])('with %s', (apiVersion) => {
    it('succeeds with the ID token (the default for an account that requests openid)', async () => {
      const before = kube.requests.length;
      const result = await kubectl(['get', '--raw', '/api'], kubeconfigFor('cluster', apiVersion));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(kube.requests.slice(before).every((request) => request.status === 200 && request.username === `${server.issuer}#alice`)).toBe(
        true,
      );
    });

    it('is refused with the access token', async () => {
      const before = kube.requests.length;
      const result = await kubectl(['get', '--raw', '/api'], kubeconfigFor('cluster', apiVersion, ['--token-type', 'access_token']));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Unauthorized|provide credentials/);
      const seen = kube.requests.slice(before);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((request) => request.status === 401 && request.reason === 'not a JWT')).toBe(true);
    });
  });

  it('follows the account’s kubernetes.tokenType, and --token-type over it', async () => {
    await signedIn('pinned', ['--kubernetes-token-type', 'access_token']);
    const refused = await kubectl(['get', '--raw', '/api'], kubeconfigFor('pinned', V1));
    expect(refused.code).toBe(1);
    const accepted = await kubectl(['get', '--raw', '/api'], kubeconfigFor('pinned', V1, ['--token-type', 'id_token']));
    expect(accepted.code).toBe(0);
  });

  it('an ID token expiring in the middle of a session is renewed with exactly one refresh', async () => {
    // kubectl-credential asks for 30 s of validity: a 45 s ID token is fresh for its first 15 s
    // (room for the sign-in and the first kubectl call on a busy machine).
    server.setIdTokenTtl(45);
    try {
      await signedIn('short');
    } finally {
      server.setIdTokenTtl(3600);
    }
    const kubeconfig = kubeconfigFor('short', V1);
    const issued = JSON.parse((await cli(['token', 'short', '--id-token', '--format', 'json'])).stdout) as { expires_at: number };
    server.resetCounters();
    const first = await kubectl(['get', '--raw', '/api'], kubeconfig);
    expect(first.code).toBe(0);
    expect(server.tokenRequests['refresh_token']).toBeUndefined();

    // Wait (for the condition, not a duration) until the ID token has less than 30 s left, while
    // the access token (an hour) stays fresh.
    while (Date.now() / 1000 < issued.expires_at - 29) await new Promise((resolve) => setTimeout(resolve, 200));
    const before = kube.requests.length;
    const second = await kubectl(['get', '--raw', '/api'], kubeconfig);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const third = await kubectl(['version', '-o', 'json'], kubeconfig);
    expect(third.code).toBe(0);
    expect(server.tokenRequests['refresh_token']).toBe(1);
    expect(kube.requests.slice(before).every((request) => request.status === 200)).toBe(true);
    const renewed = JSON.parse((await cli(['token', 'short', '--id-token', '--format', 'json'])).stdout) as { expires_at: number };
    expect(renewed.expires_at).toBeGreaterThan(issued.expires_at + 3000);
  });

  it('without a terminal, an account that needs a sign-in fails kubectl with exit 3 and the message', async () => {
    await addOidcAccount('later');
    const result = await kubectl(['get', '--raw', '/api'], kubeconfigFor('later', V1, [], 'IfAvailable'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Account 'later' needs a sign-in");
    expect(result.stderr).toMatch(/exit code 3/);
  });

  it('in a terminal, it signs in through the browser and kubectl carries on (kubelogin’s behaviour)', async () => {
    const page = await chromium.newPage();
    try {
      let signingIn: Promise<void> | undefined;
      const result = await kubectl(['get', '--raw', '/api'], kubeconfigFor('later', V1, [], 'IfAvailable'), {
        tty: true,
        onOutput: (text) => {
          const url = /open this URL in a browser:\r?\n(http\S+)/.exec(text)?.[1];
          if (url !== undefined && signingIn === undefined) signingIn = completeLoginInChromium(page, url);
        },
      });
      await signingIn;
      expect(signingIn).toBeDefined();
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('signing in to later now');
      // It says who signed in (issue 10).
      expect(result.stdout).toContain('Signed in to later as alice');
      expect(result.stdout).toContain('"APIVersions"');
      // The account is signed in for good: the next call needs no browser.
      const again = await kubectl(['get', '--raw', '/api'], kubeconfigFor('later', V1BETA1));
      expect(again.code).toBe(0);
    } finally {
      await page.close();
    }
  });
});

describe('ID tokens from the CLI', () => {
  it('token --id-token prints the ID token; exec --id-token-env passes it', async () => {
    const raw = (await cli(['token', 'cluster', '--id-token'])).stdout.trim();
    expect(decodeJwt(raw)).toMatchObject({ iss: server.issuer, aud: server.clients.public.clientId, sub: 'alice' });
    const env = await cli(['token', 'cluster', '--id-token', '--format', 'env']);
    expect(env.stdout).toMatch(/^export ID_TOKEN=\S+\nexport TOKEN_BROKER_EXPIRES_AT=\d+\n$/);
    const exec = await cli([
      'exec',
      'cluster',
      '--id-token-env',
      'OIDC_TOKEN',
      '--',
      process.execPath,
      '-e',
      'process.stdout.write(JSON.stringify([process.env.OIDC_TOKEN, process.env.ACCESS_TOKEN ?? null]))',
    ]);
    expect(exec.code).toBe(0);
    expect(JSON.parse(exec.stdout)).toEqual([raw, null]);
    expect((await cli(['token', 'cluster', '--id-token', '--scope', 'api'])).code).toBe(2);

    // Audited as ID-token hand-outs; the token itself is in no log and not in the audit file.
    const audit = await readFile(join(sandbox.home, 'audit.log'), 'utf8');
    expect(audit).toMatch(
      /"account":"cluster","client":"kubectl","caller":\{"verified":true,[^}]*\},"outcome":"granted","kind":"id_token"/,
    );
    expect(audit).not.toContain(raw);
    expect(audit).not.toContain(raw.split('.')[2] as string);
    expect(broker.stderr()).not.toContain(raw.split('.')[2] as string);
  });

  it('an account without openid says so (exit 2), and the provider not renewing ID tokens says so (exit 3)', async () => {
    const add = await cli([
      'account',
      'add',
      'plain',
      '--issuer',
      server.issuer,
      '--client-id',
      server.clients.public.clientId,
      '--auth',
      'none',
      '--grant',
      'authorization_code',
      '--scope',
      'api',
    ]);
    expect(add.code).toBe(0);
    expect((await loginWithBrowser('plain', sandbox.env)).code).toBe(0);
    const noOpenId = await cli(['token', 'plain', '--id-token']);
    expect(noOpenId.code).toBe(2);
    expect(noOpenId.stderr).toContain('does not request the openid scope');

    server.setIdTokenOnRefresh(false);
    try {
      // A minimum lifetime beyond the ID token's forces a refresh, which brings no ID token.
      const stale = await cli(['token', 'cluster', '--id-token', '--min-ttl', '7200']);
      expect(stale.code).toBe(3);
      expect(stale.stderr).toContain('returned no new ID token on refresh (it issues ID tokens only at sign-in)');
      expect(stale.stdout).toBe('');
    } finally {
      server.setIdTokenOnRefresh(true);
    }
  });
});
