/**
 * Defends: no secret ever reaches the disk unencrypted, nor an error message.
 */
import { createPrivateKey } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openConfigStore } from '../../../main/core/accounts/config-store.js';
import { exportDpopPrivateKey, generateDpopKey } from '../../../main/core/oauth/dpop.js';
import { openVault } from '../../../main/core/vault/index.js';
import { cleanupDataDirs, keychain, readAllFiles, rejectionOf, tempDataDir } from './support/helpers.js';

const ACCESS_TOKEN = 'gho_KnownAccessToken1234567890abcdefXYZ';
const REFRESH_TOKEN = 'ghr_KnownRefreshToken1234567890abcdefXYZ';
const CLIENT_SECRET = 'cs_KnownClientSecret_0987654321_secret';
const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvKnownPrivateKeyMaterialForTheGrepTest\n-----END PRIVATE KEY-----\n';
// A real DPoP key (RFC 9449): its PKCS#8 body and its private scalar `d` must appear nowhere.
const DPOP_KEY = exportDpopPrivateKey(generateDpopKey());
const DPOP_D = createPrivateKey(DPOP_KEY).export({ format: 'jwk' }).d as string;
const NEEDLES = [
  ACCESS_TOKEN,
  REFRESH_TOKEN,
  CLIENT_SECRET,
  'MIIEvKnownPrivateKeyMaterialForTheGrepTest',
  DPOP_KEY.split('\n').slice(1, -2).join('').slice(0, 48),
  DPOP_D,
];

/** The needle as UTF-8, UTF-16LE and base64 — a plaintext leak in any common encoding. */
function encodings(needle: string): Buffer[] {
  return [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le'), Buffer.from(Buffer.from(needle).toString('base64').slice(0, 24))];
}

afterEach(cleanupDataDirs);

describe('secrets at rest', () => {
  it('grepping every file of the data directory finds no token, client secret or key — in any generation', async () => {
    const dataDir = await tempDataDir();
    const config = await openConfigStore(dataDir);
    await config.update((c) => ({
      ...c,
      accounts: [
        {
          name: 'gh',
          provider: {
            authorizationEndpoint: 'https://github.com/login/oauth/authorize',
            tokenEndpoint: 'https://github.com/login/oauth/access_token',
          },
          client: { id: 'Iv1.0123456789abcdef', auth: 'post' },
          grant: 'authorization_code',
          scopes: ['repo'],
          allowLegacy: false,
          approval: 'auto',
          dpop: 'auto',
        },
      ],
    }));
    const vault = await openVault({ dataDir, secretStore: keychain });
    await vault.set('gh', {
      clientSecret: CLIENT_SECRET,
      tokens: { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN, tokenType: 'DPoP', obtainedAt: Date.now() },
      dpopKeyPem: DPOP_KEY,
    });
    await vault.set('jwt', { privateKeyPem: PRIVATE_KEY });
    await vault.set('gh', {
      clientSecret: CLIENT_SECRET,
      tokens: { accessToken: `${ACCESS_TOKEN}2`, tokenType: 'bearer', obtainedAt: Date.now() },
    });
    await vault.close();

    const files = await readAllFiles(dataDir);
    const names = [...files.keys()].map((f) => f.slice(dataDir.length + 1));
    expect(names).toEqual(expect.arrayContaining(['config.json', 'config.schema.json', 'vault.bin', 'vault.bin.bak']));
    for (const [path, bytes] of files) {
      for (const needle of NEEDLES) {
        for (const encoded of encodings(needle)) expect(bytes.includes(encoded), `${needle} in ${path}`).toBe(false);
      }
    }
    // The non-secret config is readable; the vault is not.
    expect(await readFile(join(dataDir, 'config.json'), 'utf8')).toContain('Iv1.0123456789abcdef');
  });

  it('error messages never carry a secret or the key', async () => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    await vault.set('a', { clientSecret: CLIENT_SECRET });
    const bad = await rejectionOf(vault.set('a', { clientSecret: CLIENT_SECRET, tokens: { accessToken: ACCESS_TOKEN } } as never));
    await vault.close();
    const file = join(dataDir, 'vault.bin');
    const bytes = await readFile(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 1;
    await writeFile(file, bytes);
    const corrupt = await rejectionOf(openVault({ dataDir, secretStore: keychain }));

    const passFile = join(dataDir, '..', 'pass');
    await writeFile(passFile, 'my-secret-passphrase', { mode: 0o644 });
    await chmod(passFile, 0o644);
    const insecure = await rejectionOf(
      openVault({ dataDir: join(dataDir, '..', 'other'), secretStore: keychain, passphraseFile: passFile }),
    );

    for (const error of [bad, corrupt, insecure]) {
      const text = `${error.message} ${JSON.stringify(error)}`;
      for (const needle of [...NEEDLES, 'my-secret-passphrase']) expect(text).not.toContain(needle);
    }
  });
});
