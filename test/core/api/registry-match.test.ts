import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REGISTRY_USERNAME,
  findRegistryAccount,
  listRegistryHosts,
  normalizeRegistryHost,
  type RegistryAccount,
} from '../../../main/core/api/registry-match.js';

const accounts: RegistryAccount[] = [
  { name: 'plain', config: {} },
  { name: 'gcp', config: { registry: { hosts: ['europe-docker.pkg.dev', 'gcr.io'], username: 'oauth2accesstoken' } } },
  { name: 'gitlab', config: { registry: { hosts: ['registry.gitlab.com'], username: 'oauth2' } } },
  { name: 'local', config: { registry: { hosts: ['127.0.0.1:5000', 'Docker.IO'] } } },
  { name: 'shadowed', config: { registry: { hosts: ['gcr.io'], username: 'other' } } },
];

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
    for (const bad of ['', ' ', 'user@host', 'host:99999', 'host:0', 'a b', '-bad.example', '__proto__', 'https://']) {
      expect(normalizeRegistryHost(bad), bad).toBeUndefined();
    }
  });
});

describe('registry account matching', () => {
  it('finds the account listing the host, with its username', () => {
    expect(findRegistryAccount(accounts, 'europe-docker.pkg.dev')).toEqual({ account: 'gcp', username: 'oauth2accesstoken' });
    expect(findRegistryAccount(accounts, 'https://registry.gitlab.com/v2/')).toEqual({ account: 'gitlab', username: 'oauth2' });
    expect(findRegistryAccount(accounts, '127.0.0.1:5000')).toEqual({ account: 'local', username: DEFAULT_REGISTRY_USERNAME });
    expect(findRegistryAccount(accounts, 'https://index.docker.io/v1/')).toEqual({ account: 'local', username: DEFAULT_REGISTRY_USERNAME });
  });

  it('lets the first account win a host listed twice', () => {
    expect(findRegistryAccount(accounts, 'gcr.io')).toEqual({ account: 'gcp', username: 'oauth2accesstoken' });
  });

  it('finds nothing for unknown hosts, other ports and garbage', () => {
    expect(findRegistryAccount(accounts, 'ghcr.io')).toBeUndefined();
    expect(findRegistryAccount(accounts, '127.0.0.1:5001')).toBeUndefined();
    expect(findRegistryAccount(accounts, '127.0.0.1')).toBeUndefined();
    expect(findRegistryAccount(accounts, 'not a host')).toBeUndefined();
    expect(findRegistryAccount([], 'gcr.io')).toBeUndefined();
  });

  it('lists every host once, first account first', () => {
    expect(listRegistryHosts(accounts)).toEqual({
      'europe-docker.pkg.dev': 'oauth2accesstoken',
      'gcr.io': 'oauth2accesstoken',
      'registry.gitlab.com': 'oauth2',
      '127.0.0.1:5000': DEFAULT_REGISTRY_USERNAME,
      'docker.io': DEFAULT_REGISTRY_USERNAME,
    });
  });
});
