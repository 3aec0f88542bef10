/**
 * The parts of jose the engine uses, behind one module that id-token.ts and client-auth.ts
 * import with `import()`: named re-exports let the bundler keep only these (a dynamic import of
 * 'jose' itself would take the whole package), and jose loads with the first sign-in that needs
 * it rather than with the daemon (issue 15).
 */
export { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
