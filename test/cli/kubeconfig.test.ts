import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig, checkServerUrl, isPemCertificates, kubeconfigUserName } from '../../main/cli/kubeconfig.js';
import { startAuthServer, type AuthServer } from '../support/auth-server.js';
import { signInWithCode } from '../support/fixture-tokens.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { runKubectl } from '../support/kubectl.js';

describe('kubeconfig input checks', () => {
  it('wants an https server URL without credentials', () => {
    expect(checkServerUrl('https://cluster.example.com:6443')).toBeUndefined();
    expect(checkServerUrl('https://127.0.0.1:6443/prefix')).toBeUndefined();
    expect(checkServerUrl('http://cluster.example.com')).toMatch(/https:\/\//);
    expect(checkServerUrl('cluster.example.com')).toMatch(/must be a URL/);
    expect(checkServerUrl('https://u:p@cluster.example.com')).toMatch(/credentials/);
  });

  it('accepts PEM certificates and nothing else', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(isPemCertificates(pem)).toBe(true);
    expect(isPemCertificates(`${pem}${pem}`)).toBe(true);
    expect(isPemCertificates('')).toBe(false);
    expect(isPemCertificates(`${pem}-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n`)).toBe(false);
    expect(isPemCertificates('garbage')).toBe(false);
  });
});

describe('the generated kubeconfig', () => {
  it('is YAML with one cluster, one exec user and one context, quoted safely', () => {
    const text = buildKubeconfig({ account: 'work', server: 'https://k.example:6443', env: [['TOKEN_BROKER_HOME', '/home/a b/"x"']] });
    expect(text).toContain('      apiVersion: client.authentication.k8s.io/v1\n');
    expect(text).toContain('      command: "token-broker"\n');
    expect(text).toContain('      - kubectl-credential\n      - "work"\n');
    expect(text).toContain('      interactiveMode: IfAvailable\n');
    expect(text).toContain('        value: "/home/a b/\\"x\\""\n');
    expect(text).not.toContain('certificate-authority');
    expect(kubeconfigUserName('work')).toBe('token-broker-work');
  });

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tb-kubeconfig-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads back through real kubectl as the structure we meant', async () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const kubeconfig = buildKubeconfig({
      account: 'dev-cluster',
      server: 'https://127.0.0.1:6443',
      caPem: ca,
      env: [
        ['TOKEN_BROKER_HOME', '/tmp/tb home'],
        ['TOKEN_BROKER_SOCKET', '/tmp/tb.sock'],
      ],
    });
    const result = await runKubectl(['config', 'view', '--raw', '-o', 'json'], { dir, kubeconfig });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      'current-context': 'dev-cluster',
      clusters: [
        {
          name: 'dev-cluster',
          cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from(ca).toString('base64') },
        },
      ],
      contexts: [{ name: 'dev-cluster', context: { cluster: 'dev-cluster', user: 'token-broker-dev-cluster' } }],
      users: [
        {
          name: 'token-broker-dev-cluster',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: 'token-broker',
              args: ['kubectl-credential', 'dev-cluster'],
              env: [
                { name: 'TOKEN_BROKER_HOME', value: '/tmp/tb home' },
                { name: 'TOKEN_BROKER_SOCKET', value: '/tmp/tb.sock' },
              ],
              interactiveMode: 'IfAvailable',
              provideClusterInfo: false,
            },
          },
        },
      ],
    });
  });

  describe('against the OIDC API server stand-in', () => {
    let auth: AuthServer;
    let kube: KubeApiServer;
    beforeAll(async () => {
      auth = await startAuthServer();
      kube = await startKubeApiServer({ issuer: auth.issuer, clientId: auth.clients.public.clientId });
    });
    afterAll(async () => {
      await kube?.close();
      await auth?.close();
    });

    it('makes kubectl run `token-broker kubectl-credential NAME` from PATH with the env it names, and trusts the embedded CA', async () => {
      const { id_token: idToken } = await signInWithCode(auth);
      // A stand-in `token-broker` on PATH (the real CLI is tested end to end in the integration
      // suite): records its arguments and environment, answers with the fixture's ID token.
      const bin = join(dir, 'bin');
      await mkdir(bin, { recursive: true });
      const seen = join(dir, 'seen.txt');
      await writeFile(
        join(bin, 'token-broker'),
        `#!/bin/sh\necho "$* $TOKEN_BROKER_HOME" > '${seen}'\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$ID_TOKEN"\n`,
      );
      await chmod(join(bin, 'token-broker'), 0o755);
      const kubeconfig = buildKubeconfig({
        account: 'dev',
        server: kube.url,
        caPem: kube.caCertPem,
        env: [['TOKEN_BROKER_HOME', '/srv/tb']],
      });
      const result = await runKubectl(['get', '--raw', '/api'], {
        dir,
        kubeconfig,
        env: { PATH: `${bin}:${process.env.PATH ?? ''}`, ID_TOKEN: idToken ?? '' },
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'APIVersions' });
      expect((await readFile(seen, 'utf8')).trim()).toBe('kubectl-credential dev /srv/tb');
    });

    it('shows the install hint when token-broker is not on PATH', async () => {
      const kubeconfig = buildKubeconfig({ account: 'dev', server: kube.url, caPem: kube.caCertPem });
      const result = await runKubectl(['get', '--raw', '/api'], { dir, kubeconfig, env: { PATH: '/nonexistent' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('kubectl cannot find token-broker on its PATH');
      expect(result.stderr).toContain('token-broker login dev');
    });
  });
});
