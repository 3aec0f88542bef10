import { describe, expect, it } from 'vitest';
import {
  beginSignIn,
  createAccountState,
  forget,
  markFailed,
  markNeedsLogin,
  markRefreshed,
  MAX_SCOPED_TOKEN_SETS,
  postponeOverdueRefresh,
  rememberScoped,
  type AccountState,
} from '../../../main/core/broker/account-state.js';
import type { TokenSet } from '../../../main/core/oauth/types.js';

const tokens = (accessToken: string): TokenSet => ({ accessToken, tokenType: 'Bearer', obtainedAt: 0, refreshToken: `rt-${accessToken}` });
const failure = { code: 'PROVIDER_UNREACHABLE' as const, message: 'The provider cannot be reached.' };

/** A state with something in every field a transition may reset. */
function busy(): AccountState {
  const state = createAccountState(tokens('a'));
  rememberScoped(state, 'read', tokens('narrow'));
  markFailed(state, failure, 1_000, 0.5);
  return state;
}

describe('account state transitions', () => {
  it('markFailed keeps the tokens, shows the error and backs off further with each failure', () => {
    const state = busy();
    expect(state).toMatchObject({ tokens: tokens('a'), lastError: failure, lastRefreshOutcome: 'error', failures: 1 });
    const first = (state.refreshDueAt ?? 0) - 1_000;
    markFailed(state, failure, 1_000, 0.5);
    expect(state.failures).toBe(2);
    expect((state.refreshDueAt ?? 0) - 1_000).toBe(first * 2);
  });

  it('markRefreshed makes the account healthy and signed in again', () => {
    const state = busy();
    state.needsLogin = true;
    state.signedOut = true;
    markRefreshed(state, tokens('b'), 5_000);
    expect(state).toMatchObject({
      tokens: tokens('b'),
      needsLogin: false,
      signedOut: false,
      lastError: undefined,
      lastRefreshAt: 5_000,
      lastRefreshOutcome: 'ok',
      failures: 0,
    });
  });

  it('forget drops every token and what was pending for them; signOut marks the account', () => {
    const state = busy();
    const generation = state.generation;
    forget(state);
    expect(state).toMatchObject({ tokens: undefined, needsLogin: false, signedOut: false, lastError: undefined, failures: 0 });
    expect(state.refreshDueAt).toBeUndefined();
    expect(state.scoped.size).toBe(0);
    expect(state.generation).toBe(generation + 1);
    forget(state, { signOut: true });
    expect(state.signedOut).toBe(true);
    expect(state.generation).toBe(generation + 2);
  });

  it('markNeedsLogin forgets the tokens and asks for a sign-in', () => {
    const state = busy();
    markNeedsLogin(state);
    expect(state).toMatchObject({ tokens: undefined, needsLogin: true, lastError: undefined, failures: 0, refreshDueAt: undefined });
    expect(state.scoped.size).toBe(0);
  });

  it('beginSignIn supersedes what is in flight and drops narrower tokens', () => {
    const state = busy();
    const before = state.generation;
    expect(beginSignIn(state)).toBe(before + 1);
    expect(state.scoped.size).toBe(0);
    expect(state.tokens).toEqual(tokens('a'));
  });

  it('keeps at most the most recently stored narrower-scope token sets', () => {
    const state = createAccountState(undefined);
    for (let i = 0; i <= MAX_SCOPED_TOKEN_SETS; i += 1) rememberScoped(state, `s${i}`, tokens(`t${i}`));
    expect(state.scoped.size).toBe(MAX_SCOPED_TOKEN_SETS);
    expect(state.scoped.has('s0')).toBe(false);
    rememberScoped(state, 's1', tokens('again'));
    rememberScoped(state, 'new', tokens('new'));
    expect(state.scoped.has('s1')).toBe(true);
    expect(state.scoped.has('s2')).toBe(false);
  });

  it('moves an overdue refresh on, and leaves a future one alone', () => {
    const state = busy();
    const due = state.refreshDueAt ?? 0;
    postponeOverdueRefresh(state, due - 1, () => 0.5);
    expect(state.refreshDueAt).toBe(due);
    postponeOverdueRefresh(state, due, () => 0.5);
    expect(state.refreshDueAt).toBeGreaterThan(due);
  });
});
