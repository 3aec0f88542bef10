/**
 * Where `kubectl-credential` gets the interactive sign-in from. The command runs from the lean
 * CommonJS bin (issue 15), which must not carry the sign-in code (the login command, its browser
 * opener and progress output) for the rare call that needs it: the bin registers a loader that
 * imports it from the ESM build, and the ESM build registers its own (main/cli/main.ts).
 */
import type { SignInRequest } from './commands/login.js';

export type SignIn = (name: string, request: SignInRequest) => Promise<number>;

let loader: (() => Promise<SignIn>) | undefined;

/** Sets how the sign-in code is loaded (once, by the entry that runs the command). */
export function setSignInLoader(load: () => Promise<SignIn>): void {
  loader = load;
}

/** The sign-in, loaded now. */
export async function loadSignIn(): Promise<SignIn> {
  if (loader === undefined) throw new Error('No sign-in loader is registered (main/cli/main.ts or the bin registers one).');
  return loader();
}
