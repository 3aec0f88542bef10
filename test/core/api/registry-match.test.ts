import { describe, expect, it } from 'vitest';
import { findRegistryAccount, listRegistryHosts, type RegistryAccount } from '../../../main/core/api/registry-match.js';
import { normalizeRegistryHost } from '../../../main/shared/consumers.js';

type Account = RegistryAccount & { username?: string };
const accounts: Account[] = [
  { name: 'plain' },
  { name: 'gcp', registry: { hosts: ['europe-docker.pkg.dev', 'gcr.io'] }, username: 'oauth2accesstoken' },
  { name: 'gitlab', registry: { hosts: ['registry.gitlab.com'] }, username: 'oauth2' },
  { name: 'local', registry: { hosts: ['127.0.0.1:5000', 'Docker.IO'] } },
  { name: 'shadowed', registry: { hosts: ['gcr.io'] }, username: 'other' },
];
const nameOf = (serverUrl: string): string | undefined => findRegistryAccount(accounts, serverUrl)?.name;

describe('registry host normalization', () => {
  it('strips scheme, path and the default port, lower-cases, folds Docker Hub', () => {
    expect(normalizeRegistryHost('Registry.Example.com')).toBe('registry.example.com');
    expect(normalizeRegistryHost('https://registry.example.com:443/v2/')).toBe('registry.example.com');
    expect(normalizeRegistryHost('registry.example.com:5000')).toBe('registry.example.com:5000');
    expect(normalizeRegistryHost('127.0.0.1:5000\n')).toBe('127.0.0.1:5000');
    expect(normalizeRegistryHost('[::1]:5000')).toBe('[::1]:5000');
    for (const hub of ['https://index.docker.io/v1/', 'docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']) {
      expect(normalizeRegistryHost(hub)).toBe('docker.io');
    }
  });

  it('refuses what is not a host', () => {
    for (const bad of ['', ' ', 'user@host', 'host:99999', 'host:0', 'a b', '-bad.example', '__proto__', 'https://', 'x'.repeat(300)]) {
      expect(normalizeRegistryHost(bad), bad).toBeUndefined();
    }
  });
});

describe('registry account matching', () => {
  it('finds the account listing the host', () => {
    expect(nameOf('europe-docker.pkg.dev')).toBe('gcp');
    expect(nameOf('https://registry.gitlab.com/v2/')).toBe('gitlab');
    expect(nameOf('127.0.0.1:5000')).toBe('local');
    expect(nameOf('https://index.docker.io/v1/')).toBe('local');
  });

  it('lets the first account win a host listed twice', () => {
    expect(nameOf('gcr.io')).toBe('gcp');
  });

  it('finds nothing for unknown hosts, other ports and garbage', () => {
    expect(nameOf('ghcr.io')).toBeUndefined();
    expect(nameOf('127.0.0.1:5001')).toBeUndefined();
    expect(nameOf('127.0.0.1')).toBeUndefined();
    expect(nameOf('not a host')).toBeUndefined();
    expect(findRegistryAccount([], 'gcr.io')).toBeUndefined();
  });

  it('lists every host once, first account first, with its username', () => {
    expect(listRegistryHosts(accounts, (account) => account.username ?? 'default')).toEqual({
      'europe-docker.pkg.dev': 'oauth2accesstoken',
      'gcr.io': 'oauth2accesstoken',
      'registry.gitlab.com': 'oauth2',
      '127.0.0.1:5000': 'default',
      'docker.io': 'default',
    });
  });
});
