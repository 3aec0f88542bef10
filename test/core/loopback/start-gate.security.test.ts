/** The one-shot start URL: first fetch → cookie + redirect, second fetch → abort, callback needs the cookie. */
import { describe, expect, it } from 'vitest';
import { createStartGate } from '../../../main/core/loopback/start-gate.js';

const AUTH = 'https://idp.example/authorize?state=s&code_challenge=c';

function cookieOf(setCookie: string): string {
  return setCookie.split(';')[0] as string;
}

describe('start gate', () => {
  it('a random, unguessable start path that carries nothing of the authorization request', () => {
    const a = createStartGate(AUTH);
    const b = createStartGate(AUTH);
    expect(a.path).toMatch(/^\/start\/[A-Za-z0-9_-]{32}$/);
    expect(a.path).not.toBe(b.path);
    expect(a.path).not.toContain('state');
  });

  it('the first fetch redirects with an HttpOnly SameSite=Lax cookie; the second aborts', () => {
    const gate = createStartGate(AUTH);
    expect(gate.started).toBe(false);
    const first = gate.open();
    expect(first).toMatchObject({ kind: 'redirect', location: AUTH });
    if (first.kind !== 'redirect') throw new Error('unreachable');
    expect(first.setCookie).toMatch(/^tb_signin_[0-9a-f]{12}=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    expect(gate.started).toBe(true);
    expect(gate.open()).toEqual({ kind: 'abort' });
    expect(gate.open()).toEqual({ kind: 'abort' });
  });

  it('only the cookie it set opens the callback', () => {
    const gate = createStartGate(AUTH);
    const other = createStartGate(AUTH);
    const first = gate.open();
    const foreign = other.open();
    if (first.kind !== 'redirect' || foreign.kind !== 'redirect') throw new Error('unreachable');
    const mine = cookieOf(first.setCookie);
    expect(gate.carriesCookie({ headers: { cookie: mine } })).toBe(true);
    expect(gate.carriesCookie({ headers: { cookie: `a=b; ${mine}; c=d` } })).toBe(true);
    expect(gate.carriesCookie({ headers: {} })).toBe(false);
    expect(gate.carriesCookie({ headers: { cookie: cookieOf(foreign.setCookie) } })).toBe(false);
    const [name] = mine.split('=');
    expect(gate.carriesCookie({ headers: { cookie: `${name}=wrong` } })).toBe(false);
    expect(gate.carriesCookie({ headers: { cookie: `${name}=${'x'.repeat(43)}` } })).toBe(false);
  });
});
