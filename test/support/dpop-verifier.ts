/**
 * A resource server's DPoP proof check, written from RFC 9449 §4.3 and §7.1 independently of the
 * broker's code (jose does the JWS part), for the test resource server.
 *
 * Checks, in the RFC's order: exactly one `DPoP` header holding one JWS; `typ: dpop+jwt`; an
 * asymmetric `alg` from the allow-list; a public `jwk` (no private members) that verifies the
 * signature; `jti`, `htm`, `htu`, `iat` present; `htm` = the request method; `htu` = the request
 * URI without query and fragment (compared after RFC 3986 §6.2.2/§6.2.3 normalization, which
 * node's URL parser does); `iat` within the window; the server nonce when one is required; `jti`
 * not seen before within the window; and, with an access token, `ath` = its SHA-256 and the
 * key's thumbprint = the token's `cnf.jkt`.
 *
 * @see RFC 9449 §4.3, §7.1, §8, §9, §11.1
 */
import { createHash, randomBytes } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';

/** Why a proof was refused: the RFC 9449 error code to put in the challenge, and a description. */
export class DpopRefusal extends Error {
  constructor(
    readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token',
    description: string,
  ) {
    super(description);
    this.name = 'DpopRefusal';
  }
}

export interface DpopVerifierOptions {
  /** Accepted `alg` values; default ES256, ES384, EdDSA, PS256, RS256. */
  algorithms?: string[];
  /** Accepted distance of `iat` from now, seconds; default 60. */
  iatWindowSeconds?: number;
  /** Demand the current server nonce in every proof (RFC 9449 §9). */
  requireNonce?: boolean;
  /** Epoch ms; tests may pass a fake. */
  now?: () => number;
}

export interface ProofRequest {
  method: string;
  /** The absolute request URI as the server sees it. */
  url: string;
  /** The access token presented with the proof (then `ath` is required and checked). */
  accessToken?: string;
  /** The token's `cnf.jkt` (RFC 9449 §6.1), when the token is bound. */
  boundJkt?: string;
}

export interface VerifiedProof {
  jkt: string;
  jti: string;
  iat: number;
  htm: string;
  htu: string;
  nonce?: string;
}

export interface DpopVerifier {
  /** Verifies the `DPoP` header(s) of a request; throws a {@link DpopRefusal}. */
  verify(header: string | string[] | undefined, request: ProofRequest): Promise<VerifiedProof>;
  /** The nonce a client must use now (sent in `DPoP-Nonce`). */
  currentNonce(): string;
  /** Issues a new nonce; the previous one stops being accepted. */
  rotateNonce(): string;
}

const DEFAULT_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'];
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

export function createDpopVerifier(options: DpopVerifierOptions = {}): DpopVerifier {
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  const windowSeconds = options.iatWindowSeconds ?? 60;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  let nonce = randomBytes(16).toString('base64url');

  const forgetOld = (nowSeconds: number): void => {
    for (const [jti, iat] of seen) if (iat < nowSeconds - 2 * windowSeconds) seen.delete(jti);
  };

  return {
    currentNonce: () => nonce,
    rotateNonce() {
      nonce = randomBytes(16).toString('base64url');
      return nonce;
    },
    async verify(header, request) {
      // §4.3 steps 1-2: exactly one header with one well-formed JWS.
      const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
      if (values.length !== 1) throw new DpopRefusal('invalid_dpop_proof', 'exactly one DPoP header is required');
      const proof = values[0] as string;
      if (proof.includes(',') || proof.split('.').length !== 3)
        throw new DpopRefusal('invalid_dpop_proof', 'the DPoP header is not one JWS');

      let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
      try {
        protectedHeader = decodeProtectedHeader(proof);
      } catch {
        throw new DpopRefusal('invalid_dpop_proof', 'the proof header cannot be decoded');
      }
      // Steps 4, 5, 7: typ, alg, a public jwk.
      if (protectedHeader.typ !== 'dpop+jwt') throw new DpopRefusal('invalid_dpop_proof', 'typ must be dpop+jwt');
      if (typeof protectedHeader.alg !== 'string' || !algorithms.includes(protectedHeader.alg)) {
        throw new DpopRefusal('invalid_dpop_proof', 'alg is missing, symmetric or not supported');
      }
      const jwk = protectedHeader.jwk as JWK | undefined;
      if (jwk === undefined || typeof jwk !== 'object') throw new DpopRefusal('invalid_dpop_proof', 'jwk is missing');
      if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) throw new DpopRefusal('invalid_dpop_proof', 'jwk holds a private key');

      // Step 6: the signature, with the embedded key.
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(proof, EmbeddedJWK, { algorithms, typ: 'dpop+jwt' }));
      } catch {
        throw new DpopRefusal('invalid_dpop_proof', 'the proof signature does not verify');
      }

      // Step 3: required claims.
      const { jti, htm, htu, iat, ath } = payload;
      if (typeof jti !== 'string' || jti === '' || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') {
        throw new DpopRefusal('invalid_dpop_proof', 'jti, htm, htu and iat are required');
      }
      // Steps 8, 9.
      if (htm !== request.method) throw new DpopRefusal('invalid_dpop_proof', 'htm does not match the request method');
      if (normalize(htu) !== normalize(request.url)) throw new DpopRefusal('invalid_dpop_proof', 'htu does not match the request URI');
      // Step 10: the server nonce.
      const proofNonce = typeof payload.nonce === 'string' ? payload.nonce : undefined;
      if (options.requireNonce === true && proofNonce !== nonce) {
        throw new DpopRefusal('use_dpop_nonce', proofNonce === undefined ? 'a server nonce is required' : 'the nonce is stale');
      }
      // Step 11: creation time.
      const nowSeconds = Math.floor(now() / 1000);
      if (Math.abs(nowSeconds - iat) > windowSeconds) throw new DpopRefusal('invalid_dpop_proof', 'iat is outside the accepted window');
      // Step 12: the access token binding.
      const jkt = await calculateJwkThumbprint(jwk);
      if (request.accessToken !== undefined) {
        if (ath !== createHash('sha256').update(request.accessToken, 'ascii').digest('base64url')) {
          throw new DpopRefusal('invalid_dpop_proof', 'ath does not match the access token');
        }
        if (request.boundJkt === undefined || request.boundJkt !== jkt) {
          throw new DpopRefusal('invalid_token', 'the proof key is not the key the token is bound to');
        }
      }
      // §11.1: replay. Checked last, so a refused proof does not burn its jti.
      forgetOld(nowSeconds);
      if (seen.has(jti)) throw new DpopRefusal('invalid_dpop_proof', 'the proof was used before');
      seen.set(jti, iat);
      return { jkt, jti, iat, htm, htu, ...(proofNonce === undefined ? {} : { nonce: proofNonce }) };
    },
  };
}

/** The URI without query and fragment, scheme and host lower-cased, default port dropped. */
function normalize(uri: string): string {
  const parsed = URL.parse(uri);
  if (parsed === null) return `invalid:${uri}`;
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}
