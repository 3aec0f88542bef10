import type { SignInProgressView, SignInRequestOptions } from '../../main/ipc/contract.js';
import type { SliceCreator } from './types.js';

export interface SignInSlice {
  /** The latest progress per account, from `signInProgress` events and the call's own result. */
  signIns: Record<string, SignInProgressView>;
  startSignIn: (name: string, credentials?: { username: string; password: string }, options?: SignInRequestOptions) => Promise<void>;
  cancelSignIn: (name: string) => Promise<void>;
  openVerificationUri: (name: string) => Promise<void>;
  clearSignIn: (name: string) => void;
  applySignInProgress: (progress: SignInProgressView) => void;
}

const FINISHED: ReadonlySet<SignInProgressView['phase']> = new Set(['done', 'cancelled', 'failed']);

export const createSignInSlice: SliceCreator<SignInSlice> = (set, get, api) => ({
  signIns: {},
  applySignInProgress: (progress) => {
    set({ signIns: { ...get().signIns, [progress.account]: progress } });
    if (progress.phase === 'done') get().announce(`Signed in to ${progress.account}.`, 'success');
  },
  startSignIn: async (name, credentials, options) => {
    get().applySignInProgress({ account: name, phase: 'starting' });
    const result =
      options !== undefined
        ? await api.signIn(name, credentials, options)
        : credentials === undefined
          ? await api.signIn(name)
          : await api.signIn(name, credentials);
    const current = get().signIns[name];
    // Events normally report the end; the result covers a transport that dropped them.
    if (current !== undefined && FINISHED.has(current.phase)) return;
    if (result.ok) get().applySignInProgress({ account: name, phase: 'done' });
    else if (result.error.code === 'CANCELLED') get().applySignInProgress({ account: name, phase: 'cancelled' });
    else get().applySignInProgress({ account: name, phase: 'failed', error: result.error });
  },
  cancelSignIn: async (name) => {
    await api.cancelSignIn(name);
  },
  openVerificationUri: async (name) => {
    await api.openVerificationUri(name);
  },
  clearSignIn: (name) => {
    const { [name]: _gone, ...rest } = get().signIns;
    set({ signIns: rest });
  },
});
