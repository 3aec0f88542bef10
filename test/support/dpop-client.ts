/**
 * A client-side DPoP key and proofs made with jose, independent of the broker's own DPoP code,
 * so the fixtures are tested against a second implementation (RFC 9449 §4.2).
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface TestProofOptions {
  nonce?: string;
  /** The access token the proof accompanies (its hash becomes `ath`). */
  accessToken?: string;
  /** Epoch seconds; default now. */
  iat?: number;
  jti?: string;
  /** Protected header `typ`; default `dpop+jwt`. */
  typ?: string;
  /** Extra members merged into the header's `jwk` (e.g. a private `d`, to test refusals). */
  jwkExtra?: Record<string, string>;
}

export interface TestDpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
  /** RFC 7638 thumbprint of the public key. */
  thumbprint: string;
  proof(htm: string, htu: string, options?: TestProofOptions): Promise<string>;
}

export async function createTestDpopKey(): Promise<TestDpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    privateKey,
    jwk,
    thumbprint: await calculateJwkThumbprint(jwk),
    proof: (htm, htu, options = {}) =>
      new SignJWT({
        htm,
        htu,
        ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
        ...(options.accessToken === undefined ? {} : { ath: createHash('sha256').update(options.accessToken).digest('base64url') }),
      })
        .setProtectedHeader({ alg: 'ES256', typ: options.typ ?? 'dpop+jwt', jwk: { ...jwk, ...options.jwkExtra } })
        .setJti(options.jti ?? randomUUID())
        .setIssuedAt(options.iat ?? Math.floor(Date.now() / 1000))
        .sign(privateKey),
  };
}
