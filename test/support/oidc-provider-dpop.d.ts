/**
 * Additions to oidc-provider.d.ts for the fixture's DPoP-aware custom grants (password, token
 * exchange): the token models' sender-constraint and audience members, and the library's own
 * DPoP proof validation, imported from its lib/ (the package has no `exports` map, so the deep
 * import is allowed; the custom grants then check proofs and nonces exactly as the built-in
 * grants do).
 */
declare module 'oidc-provider' {
  interface BaseToken {
    readonly isValid: boolean;
    readonly tokenType: string;
    jkt?: string;
    aud?: string;
    setThumbprint(kind: 'jkt', thumbprint: string): void;
    setAudience(audience: string): void;
    destroy(): Promise<void>;
  }

  interface TokenStatic<T extends BaseToken = BaseToken> {
    find(value: string, options?: { ignoreExpiration?: boolean }): Promise<T | undefined>;
  }

  interface Provider {
    readonly ClientCredentials: TokenStatic;
  }
}

declare module 'oidc-provider/lib/helpers/validate_dpop.js' {
  import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

  /** A verified proof: the key's RFC 7638 thumbprint, its jti and iat. */
  export interface DpopResult {
    thumbprint: string;
    jti: string;
    iat: number;
  }

  /**
   * Verifies the request's `DPoP` header (signature, typ, htm, htu, iat or nonce, ath when an
   * access token is given); undefined without one. Throws oidc-provider's `invalid_dpop_proof`
   * or `use_dpop_nonce` errors (and sets `DPoP-Nonce`).
   */
  export default function validateDpop(provider: Provider, ctx: KoaContextWithOIDC, accessToken?: string): Promise<DpopResult | undefined>;

  /** Refuses a proof whose jti was seen before for this client (RFC 9449 §11.1). */
  export function checkDpopReplay(
    provider: Provider,
    ctx: KoaContextWithOIDC,
    dPoP: DpopResult | undefined,
    clientId: string,
  ): Promise<void>;
}
