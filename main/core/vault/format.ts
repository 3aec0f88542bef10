/**
 * The `vault.bin` file format, as pure functions over bytes (no I/O, no keychain).
 *
 * ```
 * offset size  field
 *      0    4  magic "TBV1"
 *      4    1  format version (1)
 *      5    1  key source: 1 = random key in the OS keychain, 2 = scrypt(passphrase)
 *      6    1  scrypt log2(N)  (0 for the keychain)
 *      7    1  scrypt r        (0 for the keychain)
 *      8    1  scrypt p        (0 for the keychain)
 *      9   16  scrypt salt     (zeros for the keychain)
 *     25    8  key id: HMAC-SHA-256(key, "token-broker vault key id v1")[0..8]
 *     33   12  AES-GCM nonce, fresh random per write
 *     45    8  header check: SHA-256(bytes 0..45)[0..8]
 *     53    …  AES-256-GCM ciphertext of the UTF-8 JSON payload
 *   end-16   16  GCM tag
 * ```
 * The whole 53-byte header is the GCM additional data, so no header field can be changed
 * without failing authentication. The unkeyed header check only tells accidental damage to the
 * header (VAULT_CORRUPT) apart from a different key id (a foreign vault, VAULT_KEY_MISMATCH); it
 * is not a security boundary — the GCM tag is.
 * @see NIST SP 800-38D (GCM), {@link https://www.rfc-editor.org/rfc/rfc7914.html RFC 7914} (scrypt)
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

export const MAGIC = Buffer.from('TBV1', 'ascii');
export const FORMAT_VERSION = 1;
export const HEADER_LENGTH = 53;
export const KEY_LENGTH = 32;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
export const SALT_LENGTH = 16;
export const KEY_ID_LENGTH = 8;

export type KeySource = 'keychain' | 'scrypt';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  r: number;
  p: number;
}

export interface VaultHeader {
  version: number;
  keySource: KeySource;
  /** Present for `scrypt`. */
  scrypt?: ScryptParams;
  salt: Buffer;
  keyId: Buffer;
  nonce: Buffer;
}

/** Why a file could not be read as a vault; mapped to BrokerErrors (with paths) by the caller. */
export type VaultFormatProblem = 'truncated' | 'not-a-vault' | 'unsupported-version' | 'header-damaged' | 'authentication-failed';

export class VaultFormatError extends Error {
  override readonly name = 'VaultFormatError';
  constructor(
    readonly problem: VaultFormatProblem,
    message: string,
  ) {
    super(message);
  }
}

const KEY_SOURCE_IDS: Record<KeySource, number> = { keychain: 1, scrypt: 2 };
const KEY_ID_CONTEXT = 'token-broker vault key id v1';
const BOUND_KEY_ID_CONTEXT = 'token-broker vault key id v2';

/**
 * The key id stored in the header; one-way, so it identifies a key without revealing it. With a
 * `binding` (a passphrase vault's data directory) it also names where the vault belongs: the same
 * passphrase in another directory yields the same key but another id, so a copied vault does not
 * open there silently (a keychain vault is bound by its per-directory keychain item instead).
 */
export function keyIdOf(key: Uint8Array, binding?: string): Buffer {
  const context = binding === undefined ? KEY_ID_CONTEXT : `${BOUND_KEY_ID_CONTEXT}\u0000${binding}`;
  return createHmac('sha256', key).update(context).digest().subarray(0, KEY_ID_LENGTH);
}

/**
 * Encrypts `plaintext` under `key` into a complete vault file. A fresh random nonce is drawn on
 * every call: with a random 96-bit nonce the collision bound stays negligible far beyond the
 * number of writes a vault sees (SP 800-38D §8.3).
 */
export function sealVault(
  key: Uint8Array,
  plaintext: Uint8Array,
  source: { keySource: KeySource; scrypt?: ScryptParams; salt?: Uint8Array; keyIdBinding?: string },
): Buffer {
  const header = encodeHeader({
    version: FORMAT_VERSION,
    keySource: source.keySource,
    ...(source.scrypt === undefined ? {} : { scrypt: source.scrypt }),
    salt: Buffer.from(source.salt ?? Buffer.alloc(SALT_LENGTH)),
    keyId: keyIdOf(key, source.keyIdBinding),
    nonce: randomBytes(NONCE_LENGTH),
  });
  const cipher = createCipheriv('aes-256-gcm', key, header.subarray(33, 45), { authTagLength: TAG_LENGTH });
  cipher.setAAD(header);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([header, body, final, cipher.getAuthTag()]);
}

/**
 * Reads and checks the header (without a key).
 * @throws VaultFormatError `truncated`, `not-a-vault`, `unsupported-version` or `header-damaged`.
 */
export function parseHeader(file: Uint8Array): VaultHeader {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.length >= MAGIC.length && !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new VaultFormatError('not-a-vault', 'the file does not start with the vault signature "TBV1"');
  }
  if (bytes.length < HEADER_LENGTH + TAG_LENGTH) {
    throw new VaultFormatError(
      'truncated',
      `the file is truncated (${bytes.length} bytes, a vault has at least ${HEADER_LENGTH + TAG_LENGTH})`,
    );
  }
  const check = createHash('sha256').update(bytes.subarray(0, 45)).digest().subarray(0, 8);
  if (!check.equals(bytes.subarray(45, HEADER_LENGTH))) {
    throw new VaultFormatError('header-damaged', 'the file header is damaged (its checksum does not match)');
  }
  const version = bytes[4] ?? 0;
  if (version !== FORMAT_VERSION) {
    throw new VaultFormatError(
      'unsupported-version',
      `the vault format version ${version} is not supported by this token-broker (it reads version ${FORMAT_VERSION}); upgrade token-broker`,
    );
  }
  const sourceId = bytes[5];
  const keySource = sourceId === 1 ? 'keychain' : sourceId === 2 ? 'scrypt' : undefined;
  if (keySource === undefined) {
    throw new VaultFormatError('unsupported-version', `the vault uses an unknown key source (${String(sourceId)}); upgrade token-broker`);
  }
  const header: VaultHeader = {
    version,
    keySource,
    salt: Buffer.from(bytes.subarray(9, 25)),
    keyId: Buffer.from(bytes.subarray(25, 33)),
    nonce: Buffer.from(bytes.subarray(33, 45)),
  };
  if (keySource === 'scrypt') header.scrypt = { logN: bytes[6] ?? 0, r: bytes[7] ?? 0, p: bytes[8] ?? 0 };
  return header;
}

/**
 * Decrypts a whole vault file. The caller has already matched `header.keyId` against its key,
 * so an authentication failure here means the bytes were changed.
 * @throws VaultFormatError (header problems, or `authentication-failed`).
 */
export function openSealedVault(key: Uint8Array, file: Uint8Array): Buffer {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  parseHeader(bytes);
  const header = bytes.subarray(0, HEADER_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', key, header.subarray(33, 45), { authTagLength: TAG_LENGTH });
  decipher.setAAD(header);
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_LENGTH));
  const body = decipher.update(bytes.subarray(HEADER_LENGTH, bytes.length - TAG_LENGTH));
  try {
    const final = decipher.final();
    return final.length === 0 ? body : Buffer.concat([body, final]);
  } catch {
    body.fill(0);
    throw new VaultFormatError('authentication-failed', 'the encrypted content fails authentication (it was changed or is incomplete)');
  }
}

function encodeHeader(header: VaultHeader): Buffer {
  const bytes = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(bytes, 0);
  bytes[4] = header.version;
  bytes[5] = KEY_SOURCE_IDS[header.keySource];
  if (header.scrypt !== undefined) {
    bytes[6] = header.scrypt.logN;
    bytes[7] = header.scrypt.r;
    bytes[8] = header.scrypt.p;
  }
  if (header.salt.length !== SALT_LENGTH) throw new RangeError(`salt must be ${SALT_LENGTH} bytes`);
  header.salt.copy(bytes, 9);
  header.keyId.copy(bytes, 25);
  header.nonce.copy(bytes, 33);
  createHash('sha256').update(bytes.subarray(0, 45)).digest().copy(bytes, 45, 0, 8);
  return bytes;
}
