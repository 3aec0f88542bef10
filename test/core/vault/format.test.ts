import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  HEADER_LENGTH,
  keyIdOf,
  openSealedVault,
  parseHeader,
  sealVault,
  TAG_LENGTH,
  VaultFormatError,
} from '../../../main/core/vault/format.js';

const key = randomBytes(32);
const plaintext = Buffer.from(JSON.stringify({ version: 1, accounts: { a: { clientSecret: 's3cr3t' } } }));

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof VaultFormatError) return error.problem;
    throw error;
  }
  return 'none';
}

describe('vault file format', () => {
  it('round-trips and lays out header, ciphertext and tag', () => {
    const file = sealVault(key, plaintext, { keySource: 'keychain' });
    expect(file.length).toBe(HEADER_LENGTH + plaintext.length + TAG_LENGTH);
    expect(file.subarray(0, 4).toString('ascii')).toBe('TBV1');
    const header = parseHeader(file);
    expect(header).toMatchObject({ version: 1, keySource: 'keychain' });
    expect(header.keyId.equals(keyIdOf(key))).toBe(true);
    expect(openSealedVault(key, file).equals(plaintext)).toBe(true);
  });

  it('uses a fresh nonce on every write', () => {
    const nonces = new Set(
      Array.from({ length: 50 }, () => parseHeader(sealVault(key, plaintext, { keySource: 'keychain' })).nonce.toString('hex')),
    );
    expect(nonces.size).toBe(50);
  });

  it('stores the scrypt parameters and salt for passphrase vaults', () => {
    const salt = randomBytes(16);
    const header = parseHeader(sealVault(key, plaintext, { keySource: 'scrypt', scrypt: { logN: 17, r: 8, p: 1 }, salt }));
    expect(header).toMatchObject({ keySource: 'scrypt', scrypt: { logN: 17, r: 8, p: 1 } });
    expect(header.salt.equals(salt)).toBe(true);
  });

  it('detects a flipped bit anywhere: header (checksum), ciphertext and tag (GCM)', () => {
    const file = sealVault(key, plaintext, { keySource: 'keychain' });
    for (let offset = 0; offset < file.length; offset += 1) {
      const damaged = Buffer.from(file);
      damaged[offset] = (damaged[offset] as number) ^ 0x01;
      const expected = offset < 4 ? 'not-a-vault' : offset < HEADER_LENGTH ? 'header-damaged' : 'authentication-failed';
      expect(
        problemOf(() => openSealedVault(key, damaged)),
        `offset ${offset}`,
      ).toBe(expected);
    }
  });

  it('binds the header as additional data: a header with a recomputed checksum still fails', () => {
    const other = sealVault(key, plaintext, { keySource: 'keychain' });
    const file = sealVault(key, plaintext, { keySource: 'keychain' });
    // Splice another valid header (different nonce) onto this body: every header field is authenticated.
    const spliced = Buffer.concat([other.subarray(0, HEADER_LENGTH), file.subarray(HEADER_LENGTH)]);
    expect(problemOf(() => openSealedVault(key, spliced))).toBe('authentication-failed');
  });

  it('detects truncation at every length', () => {
    const file = sealVault(key, plaintext, { keySource: 'keychain' });
    for (let length = 0; length < file.length; length += 1) {
      const problem = problemOf(() => openSealedVault(key, file.subarray(0, length)));
      expect(['truncated', 'authentication-failed', 'header-damaged']).toContain(problem);
    }
  });

  it('refuses a wrong key', () => {
    const file = sealVault(key, plaintext, { keySource: 'keychain' });
    expect(problemOf(() => openSealedVault(randomBytes(32), file))).toBe('authentication-failed');
  });

  it('rejects an unknown format version or key source with a consistent header', () => {
    const rewrite = (offset: number, value: number) => {
      const file = sealVault(key, plaintext, { keySource: 'keychain' });
      file[offset] = value;
      createHash('sha256').update(file.subarray(0, 45)).digest().copy(file, 45, 0, 8);
      return file;
    };
    expect(problemOf(() => parseHeader(rewrite(4, 2)))).toBe('unsupported-version');
    expect(problemOf(() => parseHeader(rewrite(5, 9)))).toBe('unsupported-version');
    expect(problemOf(() => parseHeader(Buffer.concat([Buffer.from('TBV1'), Buffer.alloc(100)])))).toBe('header-damaged');
  });
});
