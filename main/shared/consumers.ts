/**
 * Facts about the tools an account hands credentials to besides scripts: Kubernetes (kubectl's
 * exec credential plugin) and container registries (the docker credential helper). Shared by the
 * account model, the broker's routes, the CLI's flags and the window.
 */
import { ACCOUNT_LIMITS } from './accounts.js';

/** Which token `kubectl-credential` hands out: the ID token (OIDC clusters, kubelogin) or the access token. */
export const KUBERNETES_TOKEN_TYPES = ['id_token', 'access_token'] as const;
export type KubernetesTokenType = (typeof KUBERNETES_TOKEN_TYPES)[number];

export function isKubernetesTokenType(value: unknown): value is KubernetesTokenType {
  return typeof value === 'string' && (KUBERNETES_TOKEN_TYPES as readonly string[]).includes(value);
}

/**
 * The registry username when neither the account nor its preset names one: Google's
 * `oauth2accesstoken` (docker-credential-gcloud's convention), which registries that check only
 * the password accept as well. GitLab wants `oauth2`, Quay `$oauthtoken`.
 */
export const DEFAULT_REGISTRY_USERNAME = 'oauth2accesstoken';

/** Docker Hub answers to several names; docker keys its credentials by the v1 index URL. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9a-f:.]+\\])(?::(\\d{1,5}))?$`);

/**
 * The canonical form of a registry host or server URL, as credential helpers are asked about
 * it: `Registry.Example.com:443/v2/` → `registry.example.com`; `https://index.docker.io/v1/` →
 * `docker.io`. Undefined when it is not a host name or IP literal with an optional port.
 */
export function normalizeRegistryHost(serverUrl: string): string | undefined {
  let host = serverUrl.trim().toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(host);
  if (scheme !== null) host = host.slice(scheme[0].length);
  const slash = host.indexOf('/');
  if (slash !== -1) host = host.slice(0, slash);
  if (host.endsWith(':443')) host = host.slice(0, -4);
  if (host.length > ACCOUNT_LIMITS.registryHost) return undefined;
  const match = HOST.exec(host);
  if (match === null) return undefined;
  const port = match[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}
