/**
 * Picks the account for a container registry credential request (the docker credential helper's
 * `get`, whose input is the registry's server URL — in practice the bare host, `host[:port]`).
 *
 * Hosts are compared in a canonical form (see {@link normalizeRegistryHost}): lower case, no
 * scheme, path or default port, and Docker Hub's several names folded into `docker.io`, so an
 * account configured with `--registry docker.io` answers docker's `https://index.docker.io/v1/`.
 * The first account (in config order) listing a host serves it.
 */

/** The registry username when neither the account nor its preset names one (docker-credential-gcloud's convention). */
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

/** What the matcher needs of an account (structurally an AccountSummary). */
export interface RegistryAccount {
  name: string;
  config: { registry?: { hosts: readonly string[]; username?: string } | undefined };
}

export interface RegistryMatch {
  account: string;
  username: string;
}

/**
 * The canonical form of a registry host or server URL: `Registry.Example.com:443/v2/` →
 * `registry.example.com`; `https://index.docker.io/v1/` → `docker.io`. Undefined when it is not
 * a host name or IP literal with an optional port.
 */
export function normalizeRegistryHost(serverUrl: string): string | undefined {
  let host = serverUrl.trim().toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(host);
  if (scheme !== null) host = host.slice(scheme[0].length);
  const slash = host.indexOf('/');
  if (slash !== -1) host = host.slice(0, slash);
  if (host.endsWith(':443')) host = host.slice(0, -4);
  const match = HOST.exec(host);
  if (match === null || host.length > 260) return undefined;
  const port = match[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

/** The account serving `serverUrl`, or undefined (the helper then answers "credentials not found"). */
export function findRegistryAccount(accounts: readonly RegistryAccount[], serverUrl: string): RegistryMatch | undefined {
  const wanted = normalizeRegistryHost(serverUrl);
  if (wanted === undefined) return undefined;
  for (const account of accounts) {
    const registry = account.config.registry;
    if (registry === undefined) continue;
    for (const host of registry.hosts) {
      if (normalizeRegistryHost(host) === wanted) {
        return { account: account.name, username: registry.username ?? DEFAULT_REGISTRY_USERNAME };
      }
    }
  }
  return undefined;
}

/** Every configured registry host → its username, first account first (the helper's `list`). */
export function listRegistryHosts(accounts: readonly RegistryAccount[]): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const account of accounts) {
    const registry = account.config.registry;
    if (registry === undefined) continue;
    for (const host of registry.hosts) {
      const key = normalizeRegistryHost(host);
      if (key !== undefined && !Object.hasOwn(entries, key)) entries[key] = registry.username ?? DEFAULT_REGISTRY_USERNAME;
    }
  }
  return entries;
}
