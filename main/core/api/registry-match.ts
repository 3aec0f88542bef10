/**
 * Picks the account for a container registry credential request (the docker credential helper's
 * `get`, whose input is the registry's server URL — in practice the bare host, `host[:port]`).
 *
 * Hosts are compared in a canonical form (`normalizeRegistryHost` in main/shared/consumers.ts):
 * lower case, no scheme, path or default port, and Docker Hub's several names folded into
 * `docker.io`, so an account configured with `--registry docker.io` answers docker's
 * `https://index.docker.io/v1/`. The first account (in config order) listing a host serves it.
 */
import { normalizeRegistryHost } from '../../shared/consumers.js';

/** What the matcher needs of an account (structurally an AccountConfig). */
export interface RegistryAccount {
  name: string;
  registry?: { hosts: readonly string[] } | undefined;
}

/** The account serving `serverUrl`, or undefined (the helper then answers "credentials not found"). */
export function findRegistryAccount<A extends RegistryAccount>(accounts: readonly A[], serverUrl: string): A | undefined {
  const wanted = normalizeRegistryHost(serverUrl);
  if (wanted === undefined) return undefined;
  for (const account of accounts) {
    for (const host of account.registry?.hosts ?? []) {
      if (normalizeRegistryHost(host) === wanted) return account;
    }
  }
  return undefined;
}

/** Every configured registry host → the username its account answers with, first account first (the helper's `list`). */
export function listRegistryHosts<A extends RegistryAccount>(
  accounts: readonly A[],
  usernameOf: (account: A) => string,
): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const account of accounts) {
    for (const host of account.registry?.hosts ?? []) {
      const key = normalizeRegistryHost(host);
      if (key !== undefined && !Object.hasOwn(entries, key)) entries[key] = usernameOf(account);
    }
  }
  return entries;
}
