/**
 * The vault payload is checked by hand (no schema library on the daemon's start path, issue 15):
 * these tests pin that every shape the zod schema refused is still refused — by the vault as
 * VAULT_CORRUPT with the file left as it was — and that a valid payload reads back exactly.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerError } from '../../../main/core/errors.js';
import { openVault } from '../../../main/core/vault/index.js';
import { openSealedVault, parseHeader, sealVault } from '../../../main/core/vault/format.js';
import { KEYCHAIN_SERVICE, keychainAccountFor } from '../../../main/core/vault/key-source.js';
import { checkAccountSecrets, decodePayload, encodePayload } from '../../../main/core/vault/payload.js';
import type { AccountSecrets } from '../../../main/core/vault/types.js';
import { cleanupDataDirs, keychain, tempDataDir } from './support/helpers.js';

afterAll(cleanupDataDirs);

const full: AccountSecrets = {
  clientSecret: 'cs',
  privateKeyPem: '-----BEGIN PRIVATE KEY-----',
  tokens: { accessToken: 'at', tokenType: 'Bearer', expiresAt: 1, scope: '', refreshToken: 'rt', idToken: 'it', obtainedAt: 0 },
  signedOut: true,
  identity: { subject: 'sub', username: 'u', email: 'e@example.test' },
};

const decode = (value: unknown) => decodePayload(Buffer.from(JSON.stringify(value), 'utf8'));
const withAccount = (secrets: unknown) => ({ version: 1, accounts: { a: secrets } });
const tokens = (change: Record<string, unknown>) => ({ tokens: { accessToken: 'at', tokenType: 'Bearer', obtainedAt: 0, ...change } });

describe('decodePayload', () => {
  it('reads back what encodePayload wrote, every field', () => {
    const accounts = new Map<string, AccountSecrets>([
      ['a', full],
      ['b', {}],
    ]);
    expect(decodePayload(encodePayload(accounts))).toEqual(accounts);
  });

  it('drops fields it does not know (as the schema did), at every level', () => {
    const decoded = decode(
      withAccount({
        clientSecret: 'cs',
        extra: 1,
        tokens: { accessToken: 'at', tokenType: 'Bearer', obtainedAt: 0, x: 2 },
        identity: { subject: 's', y: 3 },
      }),
    );
    expect(decoded?.get('a')).toEqual({
      clientSecret: 'cs',
      tokens: { accessToken: 'at', tokenType: 'Bearer', obtainedAt: 0 },
      identity: { subject: 's' },
    });
  });

  it.each([
    ['bytes that are not JSON', Buffer.from('{"version":1,', 'utf8')],
    ['not UTF-8 JSON at all', Buffer.from([0xff, 0xfe, 0x00])],
  ])('refuses %s', (_what, bytes) => {
    expect(decodePayload(bytes)).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', []],
    ['another version', { version: 2, accounts: {} }],
    ['a version as a string', { version: '1', accounts: {} }],
    ['no accounts', { version: 1 }],
    ['accounts as an array', { version: 1, accounts: [] }],
    ['an account name outside the pattern', { version: 1, accounts: { '../etc': {} } }],
    ['an empty account name', { version: 1, accounts: { '': {} } }],
    ['secrets that are not an object', withAccount('secret')],
    ['secrets as an array', withAccount([])],
    ['an empty client secret', withAccount({ clientSecret: '' })],
    ['a client secret over 64 KiB', withAccount({ clientSecret: 'x'.repeat(64 * 1024 + 1) })],
    ['a private key that is a number', withAccount({ privateKeyPem: 1 })],
    ['tokens as a string', withAccount({ tokens: 'at' })],
    ['tokens without an access token', withAccount({ tokens: { tokenType: 'Bearer', obtainedAt: 0 } })],
    ['an empty access token', withAccount(tokens({ accessToken: '' }))],
    ['tokens without a token type', withAccount({ tokens: { accessToken: 'at', obtainedAt: 0 } })],
    ['a token type over 64 characters', withAccount(tokens({ tokenType: 'x'.repeat(65) }))],
    ['tokens without obtainedAt', withAccount({ tokens: { accessToken: 'at', tokenType: 'Bearer' } })],
    ['obtainedAt as a string', withAccount(tokens({ obtainedAt: '0' }))],
    ['expiresAt as null', withAccount(tokens({ expiresAt: null }))],
    ['a scope over 8 KiB', withAccount(tokens({ scope: 'x'.repeat(8 * 1024 + 1) }))],
    ['an empty refresh token', withAccount(tokens({ refreshToken: '' }))],
    ['an ID token that is an object', withAccount(tokens({ idToken: {} }))],
    ['signedOut false', withAccount({ signedOut: false })],
    ['signedOut as a string', withAccount({ signedOut: 'true' })],
    ['an identity without a subject', withAccount({ identity: { username: 'u' } })],
    ['an identity subject over 256 characters', withAccount({ identity: { subject: 'x'.repeat(257) } })],
    ['an empty identity email', withAccount({ identity: { subject: 's', email: '' } })],
    ['one bad account among good ones', { version: 1, accounts: { good: {}, bad: { clientSecret: '' } } }],
  ])('refuses %s', (_what, value) => {
    expect(decode(value)).toBeUndefined();
  });
});

describe('checkAccountSecrets', () => {
  it('names every bad field by its path and never a value', () => {
    const { problems } = checkAccountSecrets({
      clientSecret: '',
      tokens: { accessToken: 'tok-value-xyz', tokenType: 7, expiresAt: 'soon' },
      identity: { subject: 'sub-value-xyz', email: 3 },
    });
    expect(problems).toEqual([
      'clientSecret: expected a string of 1 to 65536 characters',
      'tokens.tokenType: expected a string of 1 to 64 characters',
      'tokens.obtainedAt: expected a finite number',
      'tokens.expiresAt: expected a finite number',
      'identity.email: expected a string of 1 to 256 characters',
    ]);
    expect(problems.join('\n')).not.toMatch(/xyz/);
  });

  it('counts an undefined field as absent and leaves it out of the copy', () => {
    const { secrets, problems } = checkAccountSecrets({ clientSecret: undefined, tokens: undefined, signedOut: undefined });
    expect(problems).toEqual([]);
    expect(Object.keys(secrets)).toEqual([]);
  });

  it('refuses a value that is not an object', () => {
    expect(checkAccountSecrets(null).problems).toEqual(['(root): expected an object']);
  });
});

describe('a vault whose authenticated content is not a valid payload', () => {
  it.each<[string, (payload: { version: number; accounts: Record<string, Record<string, unknown>> }) => unknown]>([
    ['a token set without obtainedAt', (p) => ({ ...p, accounts: { a: { tokens: { accessToken: 'at', tokenType: 'Bearer' } } } })],
    ['another payload version', (p) => ({ ...p, version: 2 })],
    ['a bad account name', (p) => ({ ...p, accounts: { '-x': p.accounts.a } })],
  ])('%s → VAULT_CORRUPT naming the backup, file untouched', async (_what, damage) => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    await vault.set('a', { clientSecret: 'first' });
    await vault.set('a', { clientSecret: 'second, so a backup exists' });
    await vault.close();

    // Re-seal a damaged payload under the vault's own key: it passes authentication.
    const path = join(dataDir, 'vault.bin');
    const key = Buffer.from((await keychain.getPassword(KEYCHAIN_SERVICE, await keychainAccountFor(dataDir))) as string, 'base64');
    const file = await readFile(path);
    const payload = JSON.parse(openSealedVault(key, file).toString('utf8')) as Parameters<typeof damage>[0];
    const header = parseHeader(file);
    const sealed = sealVault(key, Buffer.from(JSON.stringify(damage(payload)), 'utf8'), { keySource: header.keySource, salt: header.salt });
    await writeFile(path, sealed);

    const error = await openVault({ dataDir, secretStore: keychain }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: 'VAULT_CORRUPT', message: expect.stringContaining('not a valid vault payload') });
    expect((error as Error).message).toContain(`${path}.bak`);
    expect((error as Error).message).toContain('left unchanged');
    expect((await readFile(path)).equals(sealed)).toBe(true);
  });
});
