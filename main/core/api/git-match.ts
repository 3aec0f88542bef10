/**
 * Picks the account for a git credential request (git-credential(1): `host`, optional `path`).
 *
 * An account's git hosts are either a bare host (`github.com`, `git.example.com:8443`) or a host
 * with a path prefix (`github.com/acme`), which only matches when git sends the path, i.e. with
 * `credential.useHttpPath` set. The most specific match wins, so one org can use one account
 * and the rest of the host another.
 */
import type { AccountSummary } from '../broker/types.js';

export interface GitMatch {
  account: string;
  username: string;
}

export function findGitAccount(accounts: readonly AccountSummary[], host: string, path?: string): GitMatch | undefined {
  const wantedHost = host.trim().toLowerCase();
  const wantedPath = (path ?? '').replace(/^\/+/, '').replace(/\.git$/, '');
  let best: { match: GitMatch; score: number } | undefined;
  for (const summary of accounts) {
    const git = summary.config.git;
    if (git === undefined) continue;
    for (const entry of git.hosts) {
      const slash = entry.indexOf('/');
      const entryHost = (slash === -1 ? entry : entry.slice(0, slash)).toLowerCase();
      const entryPath = slash === -1 ? '' : entry.slice(slash + 1).replace(/^\/+|\/+$/g, '');
      if (entryHost !== wantedHost) continue;
      if (entryPath !== '' && wantedPath !== entryPath && !wantedPath.startsWith(`${entryPath}/`)) continue;
      const score = 1 + entryPath.length;
      if (best === undefined || score > best.score) {
        best = { match: { account: summary.name, username: git.username }, score };
      }
    }
  }
  return best?.match;
}
