import { describe, expect, it } from 'vitest';
import {
  CREDENTIALS_NOT_FOUND,
  credentialsReply,
  errorReply,
  listReply,
  notFoundReply,
  parseHelperAction,
  readServerUrl,
  refusalReply,
  usageReply,
  versionReply,
} from '../../main/cli/docker-credential.js';

describe('docker credential helper protocol', () => {
  it('knows the actions docker-credential-helpers defines', () => {
    for (const action of ['get', 'list', 'store', 'erase', 'version']) expect(parseHelperAction([action])).toBe(action);
    expect(parseHelperAction([])).toBeUndefined();
    expect(parseHelperAction(['GET'])).toBeUndefined();
    expect(parseHelperAction(['login'])).toBeUndefined();
  });

  it('answers a missing or unknown action with usage on stdout and exit 1', () => {
    expect(usageReply([])).toEqual({ stdout: 'Usage: docker-credential-token-broker <get|list|store|erase|version>\n', exitCode: 1 });
    expect(usageReply(['login']).stdout).toMatch(/^Unknown credential action `login`\n/);
  });

  it('reads the server URL from stdin with the newline trimmed', () => {
    expect(readServerUrl('127.0.0.1:5000\n')).toBe('127.0.0.1:5000');
    expect(readServerUrl('  https://index.docker.io/v1/\r\n')).toBe('https://index.docker.io/v1/');
  });

  it('answers get with ServerURL, Username and Secret', () => {
    const reply = credentialsReply('europe-docker.pkg.dev', 'oauth2accesstoken', 'ya29.token');
    expect(reply.exitCode).toBe(0);
    expect(reply.stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(reply.stdout)).toEqual({ ServerURL: 'europe-docker.pkg.dev', Username: 'oauth2accesstoken', Secret: 'ya29.token' });
  });

  it('says "credentials not found" exactly as docker-credential-helpers does, so callers fall through', () => {
    expect(CREDENTIALS_NOT_FOUND).toBe('credentials not found in native keychain');
    // Clients compare the trimmed stdout with this text (credentials.IsCredentialsNotFoundMessage).
    expect(notFoundReply()).toEqual({ stdout: 'credentials not found in native keychain\n', exitCode: 1 });
  });

  it('lists host → username', () => {
    expect(JSON.parse(listReply({ 'ghcr.io': 'alice', 'docker.io': 'oauth2accesstoken' }).stdout)).toEqual({
      'ghcr.io': 'alice',
      'docker.io': 'oauth2accesstoken',
    });
    expect(listReply({})).toEqual({ stdout: '{}\n', exitCode: 0 });
  });

  it('refuses store and erase with a message naming what to do instead, on one line', () => {
    const store = refusalReply('store');
    expect(store.exitCode).toBe(1);
    expect(store.stdout).toMatch(/token-broker login ACCOUNT/);
    expect(store.stdout.trimEnd()).not.toContain('\n');
    expect(refusalReply('erase').stdout).toMatch(/token-broker logout ACCOUNT/);
    expect(store.stdout.trim()).not.toBe(CREDENTIALS_NOT_FOUND);
  });

  it('prints errors on one line and a version', () => {
    expect(errorReply('no broker\n  is running')).toEqual({ stdout: 'no broker is running\n', exitCode: 1 });
    expect(versionReply('1.2.3')).toEqual({ stdout: 'docker-credential-token-broker (Token Broker) 1.2.3\n', exitCode: 0 });
  });
});
