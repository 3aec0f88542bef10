import { describe, expect, it } from 'vitest';
import { buildSnippets, shellQuote } from '../../../renderer/lib/snippets.js';

describe('snippets', () => {
  it('builds curl, CLI, kubectl and git snippets from the socket path and account', () => {
    const snippets = buildSnippets('/run/user/1000/token broker/broker.sock', 'github-work');
    const byId = Object.fromEntries(snippets.map((s) => [s.id, s.code]));
    expect(byId.curl).toBe(`curl --unix-socket '/run/user/1000/token broker/broker.sock' http://broker/v1/accounts/github-work/token`);
    expect(byId.cli).toBe('token-broker token github-work --format raw');
    expect(byId.kubectl).toContain('args: ["kubectl-credential", "github-work"]');
    expect(byId.git).toContain('token-broker git-credential');
  });

  it('quotes values for POSIX shells', () => {
    expect(shellQuote('plain/path.sock')).toBe('plain/path.sock');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
