import { describe, expect, it } from 'vitest';
import { downstreamResponseHeaders, isIdempotent, upstreamRequestHeaders, upstreamUrl } from '../../../main/core/proxy/headers.js';

describe('proxy header rewriting (RFC 9110 §7.6.1)', () => {
  it('drops hop-by-hop fields, the client’s credentials and Host, and adds ours', () => {
    const raw = [
      'Host',
      '127.0.0.1:8080',
      'Authorization',
      'Bearer client-token',
      'DPoP',
      'client-proof',
      'Proxy-Authorization',
      'Bearer key',
      'Connection',
      'keep-alive, X-Private',
      'X-Private',
      'secret-hop',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'Expect',
      '100-continue',
      'Accept',
      'application/json',
      'X-Multi',
      'a',
      'X-Multi',
      'b',
    ];
    expect(upstreamRequestHeaders(raw, 'api.example.com', { authorization: 'DPoP at', dpop: 'proof' })).toEqual([
      'Host',
      'api.example.com',

      'Accept',
      'application/json',
      'X-Multi',
      'a',
      'X-Multi',
      'b',
      'Authorization',
      'DPoP at',
      'DPoP',
      'proof',
    ]);
  });

  it('keeps the upgrade handshake for WebSockets', () => {
    const raw = ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k', 'Sec-WebSocket-Version', '13'];
    expect(upstreamRequestHeaders(raw, 'h', { authorization: 'Bearer t' }, true)).toEqual([
      'Host',
      'h',
      'Upgrade',
      'websocket',
      'Sec-WebSocket-Key',
      'k',
      'Sec-WebSocket-Version',
      '13',
      'Connection',
      'Upgrade',
      'Authorization',
      'Bearer t',
    ]);
    expect(downstreamResponseHeaders(['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'a'], true)).toEqual([
      'Upgrade',
      'websocket',
      'Connection',
      'Upgrade',
      'Sec-WebSocket-Accept',
      'a',
    ]);
  });

  it('passes response fields through in order, duplicates included, without hop-by-hop ones', () => {
    expect(
      downstreamResponseHeaders([
        'Set-Cookie',
        'a=1',
        'Transfer-Encoding',
        'chunked',
        'Set-Cookie',
        'b=2',
        'Connection',
        'close',
        'WWW-Authenticate',
        'DPoP error="x"',
      ]),
    ).toEqual(['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'WWW-Authenticate', 'DPoP error="x"']);
  });
});

describe('upstream URL of a request target', () => {
  const base = new URL('https://api.example.com/v2');
  it('joins the base path with the target’s path and query', () => {
    expect(upstreamUrl(base, '/users?id=1')?.href).toBe('https://api.example.com/v2/users?id=1');
    expect(upstreamUrl(new URL('https://api.example.com/'), '/')?.href).toBe('https://api.example.com/');
    expect(upstreamUrl(new URL('https://api.example.com/v2/'), '/x')?.href).toBe('https://api.example.com/v2/x');
  });

  it('refuses targets that leave the base path or name another host', () => {
    for (const target of ['/../admin', '/%2e%2e/admin', '/x/../../v2x', 'http://evil.example/', '//evil.example/x', '*', '', undefined]) {
      expect(upstreamUrl(base, target)).toBeUndefined();
    }
    expect(upstreamUrl(base, '/a/../b')?.pathname).toBe('/v2/b');
  });

  it('knows the idempotent methods (RFC 9110 §9.2.2)', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].every(isIdempotent)).toBe(true);
    expect(['POST', 'PATCH', 'CONNECT'].some(isIdempotent)).toBe(false);
  });
});
