/**
 * DPoP: sender-constrained tokens whose private key never leaves the broker (RFC 9449).
 *
 * One ES256 key pair per account. The private key lives in a {@link DpopKey} (a private class
 * field holding a node:crypto KeyObject, so neither JSON nor `util.inspect` can print it) and in
 * the vault as PKCS#8 PEM ({@link exportDpopPrivateKey}); callers only ever get proofs.
 *
 * Proofs are signed with node:crypto's `sign()` on the cached KeyObject with a pre-encoded
 * protected header: the `dpop-proof` socket route is a hot path (≈ 50 µs per proof), so jose is
 * not loaded here.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html RFC 9449} (OAuth 2.0 Demonstrating Proof of Possession)
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomFillSync, sign, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BrokerError } from '../errors.js';
import { systemClock, type Clock } from '../ports.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http.js';
import { challengeError, parseWwwAuthenticate } from './www-authenticate.js';

/** The one signing algorithm the broker uses (P-256 + SHA-256; RFC 9449 §3 lets us pick). */
export const DPOP_ALG = 'ES256';

/** How long a handed-out proof is advertised as usable; servers accept a few minutes of skew (RFC 9449 §11.1). */
export const DPOP_PROOF_LIFETIME_SECONDS = 60;

/** The public half of the key, as it goes into the proof header (RFC 7517, RFC 7518 §6.2.1). */
export interface DpopPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/**
 * An account's DPoP key. The private key is reachable only through {@link DpopKey.sign}; the
 * object serializes (JSON) to its public parts.
 */
/** Set by DpopKey's static block: the only way to read the private key out of a DpopKey. */
let exportPem: (key: DpopKey) => string;

export class DpopKey {
  readonly alg = DPOP_ALG;
  readonly publicJwk: Readonly<DpopPublicJwk>;
  /** RFC 7638 JWK SHA-256 thumbprint, base64url: the `jkt` a token is bound to. */
  readonly thumbprint: string;
  /** base64url of the protected header, computed once (it never changes for a key). */
  readonly encodedHeader: string;
  readonly #privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    if (
      privateKey.type !== 'private' ||
      privateKey.asymmetricKeyType !== 'ec' ||
      privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
    ) {
      throw new BrokerError('CONFIG_INVALID', 'The stored DPoP key is not a P-256 private key; sign in again to make a new one.');
    }
    this.#privateKey = privateKey;
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
      throw new BrokerError('CONFIG_INVALID', 'The stored DPoP key has no usable public point; sign in again to make a new one.');
    }
    this.publicJwk = Object.freeze({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
    this.thumbprint = jwkThumbprint(this.publicJwk);
    this.encodedHeader = base64url(JSON.stringify({ typ: 'dpop+jwt', alg: DPOP_ALG, jwk: this.publicJwk }));
  }

  /** ES256 signature (IEEE P1363 r||s, as JWS wants) over `data`. */
  sign(data: string): Buffer {
    return sign('sha256', Buffer.from(data, 'latin1'), { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
  }

  static {
    exportPem = (key) => key.#privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  }

  toJSON(): { alg: string; jwk: Readonly<DpopPublicJwk>; jkt: string } {
    return { alg: this.alg, jwk: this.publicJwk, jkt: this.thumbprint };
  }
}

/** A fresh ES256 key pair for an account. @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-2 RFC 9449 §2} */
export function generateDpopKey(): DpopKey {
  return new DpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

/** The private key as PKCS#8 PEM, for the vault and nowhere else. */
export function exportDpopPrivateKey(key: DpopKey): string {
  return exportPem(key);
}

/**
 * Loads a key stored by {@link exportDpopPrivateKey}.
 * @throws BrokerError `CONFIG_INVALID` when it is not a P-256 private key (the message never
 *   quotes the stored value).
 */
export function importDpopPrivateKey(pem: string): DpopKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new BrokerError('CONFIG_INVALID', 'The stored DPoP key cannot be read; sign in again to make a new one.');
  }
  return new DpopKey(key);
}

/**
 * RFC 7638 thumbprint of an EC public key: SHA-256 over the required members in lexicographic
 * order, base64url.
 * @see {@link https://www.rfc-editor.org/rfc/rfc7638.html#section-3.2 RFC 7638 §3.2}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-6.1 RFC 9449 §6.1}
 */
export function jwkThumbprint(jwk: Pick<DpopPublicJwk, 'crv' | 'kty' | 'x' | 'y'>): string {
  return createHash('sha256').update(`{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');
}

/** `ath`: base64url SHA-256 of the access token's ASCII value. @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-4.2 RFC 9449 §4.2} */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** What one proof is for. */
export interface DpopProofInput {
  /** HTTP method of the request (RFC 9110 method token, e.g. `GET`). */
  htm: string;
  /** Target URI; query and fragment are removed (RFC 9449 §4.2). */
  htu: string;
  /** A server-provided nonce (RFC 9449 §8, §9). */
  nonce?: string;
  /** The access token the request presents: its hash goes into `ath`. */
  accessToken?: string;
  /** Epoch ms. */
  now: number;
}

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
/** RFC 9449 §8.1: `nonce = 1*NQCHAR`, NQCHAR = %x21 / %x23-5B / %x5D-7E. */
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]{1,512}$/;

/** Whether a value is a syntactically valid DPoP nonce (so it is safe to echo in a proof). */
export function isValidDpopNonce(value: unknown): value is string {
  return typeof value === 'string' && NONCE.test(value);
}

/**
 * The `htu` of a request: the target URI without query and fragment. Refuses anything but an
 * absolute http(s) URL.
 * @throws BrokerError `INVALID_REQUEST`
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-4.2 RFC 9449 §4.2}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-4.3 §4.3} (step 9)
 */
export function normalizeHtu(url: string): string {
  // Scripts and proxies ask for the same few URLs again and again: remember the answers.
  const known = htuMemo.get(url);
  if (known !== undefined) return known;
  const htu = parseHtu(url);
  if (htuMemo.size >= MEMO_SIZE) htuMemo.clear();
  htuMemo.set(url, htu);
  return htu;
}

const MEMO_SIZE = 512;
const htuMemo = new Map<string, string>();
const originMemo = new Map<string, string>();

function parseHtu(url: string): string {
  const parsed = URL.parse(url);
  if (
    parsed === null ||
    (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
    parsed.username !== '' ||
    parsed.password !== ''
  ) {
    throw new BrokerError('INVALID_REQUEST', '"htu" must be an absolute http(s) URL without credentials.');
  }
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/**
 * Creates one DPoP proof JWT: header `{typ: dpop+jwt, alg: ES256, jwk}`, claims `jti` (random),
 * `htm`, `htu`, `iat`, and `nonce` / `ath` when given.
 * @throws BrokerError `INVALID_REQUEST` for a bad method, URL or nonce.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-4.2 RFC 9449 §4.2}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-4.3 §4.3}
 */
export function createDpopProof(key: DpopKey, input: DpopProofInput): string {
  if (!METHOD.test(input.htm)) throw new BrokerError('INVALID_REQUEST', '"htm" must be an HTTP method such as GET or POST.');
  if (input.nonce !== undefined && !isValidDpopNonce(input.nonce)) {
    throw new BrokerError('INVALID_REQUEST', '"nonce" must be 1 to 512 printable ASCII characters without quote or backslash.');
  }
  const claims: Record<string, string | number> = {
    jti: nextJti(),
    htm: input.htm,
    htu: normalizeHtu(input.htu),
    iat: Math.floor(input.now / 1000),
  };
  if (input.nonce !== undefined) claims['nonce'] = input.nonce;
  if (input.accessToken !== undefined) claims['ath'] = accessTokenHash(input.accessToken);
  const signingInput = `${key.encodedHeader}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${key.sign(signingInput).toString('base64url')}`;
}

/** 128 random bits per `jti`, taken from a pool refilled 256 at a time (one RNG call, not one per proof). */
const JTI_BYTES = 16;
const jtiPool = Buffer.alloc(JTI_BYTES * 256);
let jtiOffset = jtiPool.length;

function nextJti(): string {
  if (jtiOffset >= jtiPool.length) {
    randomFillSync(jtiPool);
    jtiOffset = 0;
  }
  const jti = jtiPool.toString('base64url', jtiOffset, jtiOffset + JTI_BYTES);
  // Each slice is used once: wiped so the bytes of a past jti never linger in the pool.
  jtiPool.fill(0, jtiOffset, jtiOffset + JTI_BYTES);
  jtiOffset += JTI_BYTES;
  return jti;
}

/**
 * Server nonces remembered per origin (RFC 9449 §8.2: a nonce is valid for the server that
 * issued it). Bounded: the oldest origin is forgotten beyond `maxOrigins`.
 */
export class DpopNonceStore {
  private readonly nonces = new Map<string, string>();

  constructor(private readonly maxOrigins = 128) {}

  /** The nonce last received from the origin of `url`, if any. */
  get(url: string): string | undefined {
    return this.nonces.get(originOf(url));
  }

  /** Remembers a `DPoP-Nonce` value from a response of `url`; invalid values are ignored. */
  remember(url: string, nonce: unknown): void {
    if (!isValidDpopNonce(nonce)) return;
    const origin = originOf(url);
    this.nonces.delete(origin);
    this.nonces.set(origin, nonce);
    if (this.nonces.size > this.maxOrigins) {
      const oldest = this.nonces.keys().next().value;
      if (oldest !== undefined) this.nonces.delete(oldest);
    }
  }

  clear(): void {
    this.nonces.clear();
  }
}

/** The `DPoP-Nonce` header of a response, when it holds a valid nonce. @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-8.1 RFC 9449 §8.1} */
export function dpopNonceFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['dpop-nonce'];
  const nonce = Array.isArray(value) ? value[0] : value;
  return isValidDpopNonce(nonce) ? nonce : undefined;
}

/**
 * Whether a response is a nonce challenge: the authorization server's 400 `use_dpop_nonce`
 * error (RFC 9449 §8) or a resource server's 401 with a `DPoP error="use_dpop_nonce"`
 * challenge (§9), in both cases with a new `DPoP-Nonce`.
 */
export function isDpopNonceChallenge(response: Pick<HttpResponse, 'status' | 'headers'> & { body?: string }): boolean {
  if (dpopNonceFromHeaders(response.headers) === undefined) return false;
  if (response.status === 401) {
    return challengeError(parseWwwAuthenticate(response.headers['www-authenticate']), 'dpop') === 'use_dpop_nonce';
  }
  if (response.status !== 400 || response.body === undefined) return false;
  // Cheap test first: a JSON parse of every 400 body is not needed.
  if (!response.body.includes('use_dpop_nonce')) return false;
  try {
    return (JSON.parse(response.body) as { error?: unknown }).error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}

/** What a request to an authorization server needs to carry proofs. */
export interface DpopBinding {
  key: DpopKey;
  nonces: DpopNonceStore;
  clock?: Clock;
}

/**
 * Sends a request with a DPoP proof and answers one nonce challenge. `build` is called for each
 * attempt, so a retried request gets fresh one-time values (a `private_key_jwt` client
 * assertion's `jti` would otherwise be refused as a replay). Every `DPoP-Nonce` a response
 * carries is remembered for its origin. Retrying is safe: a server that answers
 * `use_dpop_nonce` has not processed the grant (RFC 9449 §8).
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-5 RFC 9449 §5}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-8 §8}
 */
export async function sendWithDpop(
  http: HttpClient,
  dpop: DpopBinding,
  build: () => Promise<HttpRequest>,
  accessToken?: string,
): Promise<HttpResponse> {
  const clock = dpop.clock ?? systemClock;
  for (let attempt = 0; ; attempt += 1) {
    const request = await build();
    const nonce = dpop.nonces.get(request.url);
    const proof = createDpopProof(dpop.key, {
      htm: request.method,
      htu: request.url,
      now: clock.now(),
      ...(nonce === undefined ? {} : { nonce }),
      ...(accessToken === undefined ? {} : { accessToken }),
    });
    const response = await http.request({ ...request, headers: { ...request.headers, dpop: proof } });
    const received = dpopNonceFromHeaders(response.headers);
    if (received !== undefined) dpop.nonces.remember(request.url, received);
    if (attempt > 0 || received === undefined || received === nonce || !isDpopNonceChallenge(response)) return response;
  }
}

/**
 * The origin nonces are kept for (RFC 6454 serialization: scheme, host, port). An unparsable
 * URL maps to itself, so it can never share a nonce with a real origin.
 */
export function originOf(url: string): string {
  const known = originMemo.get(url);
  if (known !== undefined) return known;
  const origin = URL.parse(url)?.origin ?? url;
  if (originMemo.size >= MEMO_SIZE) originMemo.clear();
  originMemo.set(url, origin);
  return origin;
}

/** The `host[:port]` of an http(s) URL that {@link normalizeHtu} produced (no parse needed). */
export function hostOfHtu(htu: string): string {
  const start = htu.indexOf('//') + 2;
  const end = htu.indexOf('/', start);
  return end === -1 ? htu.slice(start) : htu.slice(start, end);
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
