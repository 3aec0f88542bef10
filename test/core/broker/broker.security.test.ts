/**
 * No secret leaves the broker except in a hand-out: not in the audit trail (memory or file),
 * events, errors, account summaries, token details or log lines. Every token, refresh token,
 * client secret and password seen during a busy scenario is searched for everywhere.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../../main/core/errors.js';
import { useAuthServers } from '../../support/fixtures.js';
import { addSignedIn, basicSecrets, passwordAccount, useHarnesses } from './harness.js';

const HOUR = 3600_000;

// `down` is taken down half-way; its fixture then closes nothing.
const { server, down } = useAuthServers(['server', 'down']);
const harness = useHarnesses();

/** Messages of an error and its causes, plus its wire form. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    parts.push(current.message, current.stack ?? '');
    current = current.cause;
  }
  if (isBrokerError(error)) parts.push(JSON.stringify(error), JSON.stringify(error.toJSON()));
  return parts.join('\n');
}

describe('secrets stay inside the broker', () => {
  it('never puts a token, refresh token, client secret or password in audit, events, errors, summaries or logs', async () => {
    const h = await harness({ keepDataDir: false });
    const secrets = new Set<string>([server.clients.basic.clientSecret, down.clients.basic.clientSecret, server.user.password]);
    const errors: unknown[] = [];
    const remember = (): void => {
      for (const name of h.vault.accounts()) {
        const tokens = h.vault.get(name)?.tokens;
        for (const value of [tokens?.accessToken, tokens?.refreshToken, tokens?.idToken]) if (value !== undefined) secrets.add(value);
      }
    };
    try {
      await addSignedIn(h, server, 'work', { scopes: ['openid', 'api', 'read'] });
      remember();
      for (const request of [{ client: 'curl' }, { client: 'kubectl', scope: 'read' }, { client: 'git', minTtl: 7200 }]) {
        secrets.add((await h.broker.getToken('work', request)).accessToken);
        remember();
      }
      secrets.add((await h.broker.refresh('work', { client: 'cli' })).accessToken);
      remember();

      // A client name that tries to smuggle a line into the audit file.
      secrets.add((await h.broker.getToken('work', { client: 'evil\n{"outcome":"granted"}' })).accessToken);

      // Wrong password, denial, needs-login, unreachable provider, invalid_grant.
      await h.broker.addAccount(passwordAccount(server, 'pw'), basicSecrets(server));
      errors.push(await h.broker.signIn('pw', { username: server.user.username, password: 'wrong-password-123' }).catch((e: unknown) => e));
      secrets.add('wrong-password-123');
      errors.push(await h.broker.getToken('pw', { client: 'curl' }).catch((e: unknown) => e));
      await addSignedIn(h, server, 'asked', { approval: 'ask' });
      remember();
      errors.push(await h.broker.getToken('asked', { client: 'curl' }).catch((e: unknown) => e));
      await addSignedIn(h, down, 'flaky');
      remember();
      await down.close();
      h.clock.advance(2 * HOUR);
      errors.push(await h.broker.getToken('flaky', { client: 'curl' }).catch((e: unknown) => e));
      errors.push(await h.broker.signIn('flaky', { username: 'alice', password: server.user.password }).catch((e: unknown) => e));
      await h.broker.logout('work');
      errors.push(await h.broker.getToken('work', { client: 'curl' }).catch((e: unknown) => e));
      await h.broker.removeAccount('flaky');

      expect(errors.every((error) => isBrokerError(error))).toBe(true);
      expect(errors.map((error) => (error as { code: string }).code)).toEqual([
        'OAUTH_ERROR',
        'NEEDS_LOGIN',
        'DENIED',
        'PROVIDER_UNREACHABLE',
        'PROVIDER_UNREACHABLE',
        'NEEDS_LOGIN',
      ]);

      const details = ['work', 'pw', 'asked'].map((name) => h.broker.tokenDetails(name));
      await h.broker.close();
      const places: Record<string, string> = {
        auditFile: await readFile(h.auditFile, 'utf8'),
        auditLog: JSON.stringify(h.broker.auditLog()),
        events: JSON.stringify(h.events),
        errors: errors.map(describeError).join('\n'),
        accounts: JSON.stringify(h.broker.listAccounts()),
        details: JSON.stringify(details),
        logs: h.log.lines.join('\n'),
      };
      expect(secrets.size).toBeGreaterThan(8);
      for (const [place, text] of Object.entries(places)) {
        for (const secret of secrets) {
          expect(text.includes(secret), `a secret appears in ${place}`).toBe(false);
        }
      }
      // The smuggled line stayed inside its JSON string: every line is one well-formed entry.
      const lines = places.auditFile!.trim().split('\n');
      expect(lines.every((line) => typeof (JSON.parse(line) as { at: unknown }).at === 'number')).toBe(true);
      expect(h.broker.auditLog().some((entry) => entry.client === 'evil?{"outcome":"granted"}')).toBe(true);
    } finally {
      await h.dispose();
    }
  });
});
