/**
 * The slice of oidc-provider 9's API the test fixture uses. The package ships no type
 * declarations and `@types/oidc-provider` lags behind the major, so the fixture declares
 * exactly what it touches — the shapes follow the library's lib/ sources.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type Configuration = Record<string, unknown>;

  /** The Koa request context plus the provider's per-request state (`ctx.oidc`). */
  export interface KoaContextWithOIDC {
    method: string;
    path: string;
    status: number;
    body: unknown;
    type: string;
    req: IncomingMessage & { body?: unknown };
    res: ServerResponse;
    query: Record<string, string | string[] | undefined>;
    get(header: string): string;
    set(header: string, value: string): void;
    redirect(url: string): void;
    is(...types: string[]): string | false | null;
    oidc: OIDCContext;
  }

  export interface OIDCContext {
    params?: Record<string, unknown>;
    body?: Record<string, unknown>;
    client?: Client;
    provider: Provider;
    issuer: string;
    route?: string;
    entity(kind: string, value: unknown): void;
  }

  export type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void> | void;

  export interface Client {
    clientId: string;
    clientAuthMethod: string;
    applicationType: string;
    redirectUris: string[];
    grantTypeAllowed(grantType: string): boolean;
    redirectUriAllowed(uri: string): boolean;
  }

  export interface ClientStatic {
    find(clientId: string): Promise<Client | undefined>;
    prototype: Client;
  }

  export interface BaseToken {
    jti: string;
    scope?: string;
    expiration: number;
    clientId: string;
    accountId?: string;
    save(): Promise<string>;
  }

  export interface TokenStatic<T extends BaseToken = BaseToken> {
    new (properties: Record<string, unknown>): T;
    find(value: string): Promise<T | undefined>;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }

  export interface GrantStatic {
    new (properties: { accountId: string; clientId: string }): Grant;
  }

  export interface InteractionResult {
    error?: string;
    error_description?: string;
    [key: string]: unknown;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Client: ClientStatic;
    readonly AccessToken: TokenStatic;
    readonly RefreshToken: TokenStatic;
    readonly Grant: GrantStatic;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: Middleware): this;
    on(event: string, listener: (...args: never[]) => void): this;
    registerGrantType(
      name: string,
      handler: (ctx: KoaContextWithOIDC) => Promise<void>,
      params?: string | string[] | Set<string>,
      allowedDuplicateParameters?: string | string[] | Set<string>,
    ): void;
    pathFor(name: string, options?: Record<string, unknown>): string;
    urlFor(name: string, options?: Record<string, unknown>): string;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResult,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResult,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }

  type OIDCErrorClass = new (
    description?: string,
    detail?: string,
  ) => Error & {
    error: string;
    error_description?: string;
    status: number;
  };

  export const errors: {
    InvalidGrant: OIDCErrorClass;
    InvalidRequest: OIDCErrorClass;
    InvalidScope: OIDCErrorClass;
    InvalidClient: OIDCErrorClass;
    AccessDenied: OIDCErrorClass;
    UnauthorizedClient: OIDCErrorClass;
  };

  export default Provider;
}
