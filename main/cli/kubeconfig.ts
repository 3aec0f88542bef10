/**
 * `token-broker kubeconfig NAME --server URL [--ca-file F]`, pure part: a kubeconfig with one
 * cluster, one user that runs `token-broker kubectl-credential NAME`, and one context joining
 * them — ready to save as its own file (`KUBECONFIG=~/.kube/config:~/.kube/NAME.yaml`) or to
 * merge with `kubectl config view --flatten`.
 *
 * Decisions:
 * - The exec apiVersion is `client.authentication.k8s.io/v1` (kubectl 1.22+) with
 *   `interactiveMode: IfAvailable`, so a person at a terminal gets the browser sign-in when the
 *   account needs one, while scripts and CI fail fast with exit 3.
 * - The CA is embedded (`certificate-authority-data`), so the printed file does not depend on
 *   where the CA file happens to live.
 * - `TOKEN_BROKER_HOME` / `TOKEN_BROKER_SOCKET` are passed through `env:` when the command ran
 *   with them set: kubectl starts the plugin with its own environment, which may not have them.
 *
 * @see https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/
 */

export interface KubeconfigInput {
  /** The broker account (also the cluster and context name). */
  account: string;
  /** The API server URL (`https://…`). */
  server: string;
  /** The cluster's CA certificate(s), PEM, when the server's certificate is not publicly trusted. */
  caPem?: string;
  /** Variables kubectl must set for the plugin (name → value), in this order. */
  env?: readonly (readonly [string, string])[];
  /** The plugin command; default `token-broker`, which must be on kubectl's PATH. */
  command?: string;
}

/** The user entry's name: distinct from the cluster's, so merging never clobbers an existing user. */
export function kubeconfigUserName(account: string): string {
  return `token-broker-${account}`;
}

/** What kubectl prints when it cannot find the command (client-go's `installHint`). */
function installHint(account: string): string {
  return `This cluster signs in through Token Broker account '${account}', but kubectl cannot find token-broker on its PATH. Put the Token Broker CLI on PATH (in a checkout: npm install -g .), then run: token-broker login ${account}`;
}

/** A YAML double-quoted scalar: JSON string syntax is valid YAML (1.1 and 1.2). */
const q = (value: string): string => JSON.stringify(value);

/**
 * Checks a URL for `--server`: absolute https (kubectl speaks http only to a proxy on
 * localhost, and a bearer token must not cross the network in cleartext). Returns a message
 * saying what is wrong, or undefined when it is fine.
 */
export function checkServerUrl(server: string): string | undefined {
  const url = URL.parse(server);
  if (url === null) return `--server must be a URL such as https://cluster.example.com:6443, not '${server.slice(0, 200)}'.`;
  if (url.protocol !== 'https:') return `--server must be an https:// URL (the ID token is a bearer credential), not ${url.protocol}//.`;
  if (url.username !== '' || url.password !== '') return '--server must not contain credentials.';
  return undefined;
}

/** True when `text` holds at least one PEM certificate and nothing but PEM certificates. */
export function isPemCertificates(text: string): boolean {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (blocks === null) return false;
  const rest = blocks.reduce((left, block) => left.replace(block, ''), text);
  return rest.trim() === '';
}

/** The kubeconfig YAML. Inputs are assumed checked ({@link checkServerUrl}, {@link isPemCertificates}). */
export function buildKubeconfig(input: KubeconfigInput): string {
  const user = kubeconfigUserName(input.account);
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(input.account)}`,
    '  cluster:',
    `    server: ${q(input.server)}`,
  ];
  if (input.caPem !== undefined) lines.push(`    certificate-authority-data: ${Buffer.from(input.caPem, 'utf8').toString('base64')}`);
  lines.push(
    'users:',
    `- name: ${q(user)}`,
    '  user:',
    '    exec:',
    '      apiVersion: client.authentication.k8s.io/v1',
    `      command: ${q(input.command ?? 'token-broker')}`,
    '      args:',
    '      - kubectl-credential',
    `      - ${q(input.account)}`,
  );
  if (input.env !== undefined && input.env.length > 0) {
    lines.push('      env:');
    for (const [name, value] of input.env) lines.push(`      - name: ${q(name)}`, `        value: ${q(value)}`);
  }
  lines.push(
    '      interactiveMode: IfAvailable',
    '      provideClusterInfo: false',
    `      installHint: ${q(installHint(input.account))}`,
    'contexts:',
    `- name: ${q(input.account)}`,
    '  context:',
    `    cluster: ${q(input.account)}`,
    `    user: ${q(user)}`,
    `current-context: ${q(input.account)}`,
    '',
  );
  return lines.join('\n');
}
