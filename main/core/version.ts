declare const __TOKEN_BROKER_VERSION__: string | undefined;

/** The product version, injected at build time; tests run from source and see the dev marker. */
export const BROKER_VERSION: string = typeof __TOKEN_BROKER_VERSION__ === 'string' ? __TOKEN_BROKER_VERSION__ : '0.0.0-dev';
