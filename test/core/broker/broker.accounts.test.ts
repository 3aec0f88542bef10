/**
 * Account administration, logout/remove with revocation, approvals, the audit trail and
 * restarts, against the real fixture, vault and config store.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../../main/core/broker/index.js';
import { useAuthServers } from '../../support/fixtures.js';
import { addSignedIn, basicSecrets, passwordAccount, useHarnesses } from './harness.js';

// `doomed` is a second provider that one test takes down.
const { server, doomed } = useAuthServers(['server', 'doomed'], {}, { freshCounters: true });
const harness = useHarnesses();

describe('accounts', () => {
  it('adds an account: config to config.json, secrets only to the vault', async () => {
    const h = await harness();
    const summary = await h.broker.addAccount(passwordAccount(server, 'work'), basicSecrets(server));
    expect(summary).toMatchObject({
      name: 'work',
      grant: 'password',
      status: 'needs_login',
      scopes: ['openid', 'api'],
      hasRefreshToken: false,
    });
    expect(h.events).toContainEqual({ type: 'accounts_changed' });
    const configText = await readFile(join(h.dataDir, 'config.json'), 'utf8');
    expect(configText).toContain('"work"');
    expect(configText).not.toContain(server.clients.basic.clientSecret);
    expect(h.vault.get('work')?.clientSecret).toBe(server.clients.basic.clientSecret);
    expect(h.broker.listAccounts().map((account) => account.name)).toEqual(['work']);

    await expect(h.broker.addAccount(passwordAccount(server, 'work'), basicSecrets(server))).rejects.toMatchObject({
      code: 'ACCOUNT_EXISTS',
    });
    await expect(h.broker.addAccount({ ...passwordAccount(server, 'bad name!') }, basicSecrets(server))).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('name'),
    });
    await expect(h.broker.addAccount(passwordAccount(server, 'nosecret'))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(() => h.broker.getAccount('nosecret')).toThrow(expect.objectContaining({ code: 'ACCOUNT_NOT_FOUND' }));
  });

  it('updates an account, forgetting tokens only when provider, client or grant change', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    await h.broker.updateAccount('work', passwordAccount(server, 'work', { scopes: ['openid', 'api', 'read'], approval: 'auto' }));
    expect(h.broker.getAccount('work')).toMatchObject({ status: 'ok', config: { scopes: ['openid', 'api', 'read'] } });
    expect(h.vault.get('work')?.clientSecret).toBe(server.clients.basic.clientSecret);

    const oldAccess = (await h.broker.getToken('work')).accessToken;
    await h.broker.updateAccount('work', passwordAccount(server, 'work', { client: { id: server.clients.post.clientId, auth: 'post' } }), {
      clientSecret: server.clients.post.clientSecret,
    });
    expect(h.broker.getAccount('work').status).toBe('needs_login');
    expect((await server.introspect(oldAccess)).active).toBe(false);
    expect(h.vault.get('work')?.clientSecret).toBe(server.clients.post.clientSecret);
    await expect(h.broker.updateAccount('work', passwordAccount(server, 'other'))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await h.broker.signIn('work', { username: server.user.username, password: server.user.password });
    expect(h.broker.getAccount('work').status).toBe('ok');
  });

  it('logout revokes at the provider and keeps the account, which then needs a sign-in', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    const access = (await h.broker.getToken('work')).accessToken;
    const refresh = h.vault.get('work')!.tokens!.refreshToken!;
    expect((await server.introspect(access)).active).toBe(true);
    await h.broker.logout('work');
    expect((await server.introspect(refresh)).active).toBe(false);
    expect((await server.introspect(access)).active).toBe(false);
    expect(h.broker.getAccount('work').status).toBe('needs_login');
    // The tokens are gone; who the account belonged to stays (a later sign-in as someone else stands out).
    expect(h.vault.get('work')).toEqual({
      clientSecret: server.clients.basic.clientSecret,
      signedOut: true,
      identity: { subject: 'alice' },
    });
    await expect(h.broker.getToken('work')).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    expect(h.broker.tokenDetails('work')).toBeUndefined();
  });

  it('remove revokes, then forgets secrets and config', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    const access = (await h.broker.getToken('work')).accessToken;
    await h.broker.removeAccount('work');
    expect((await server.introspect(access)).active).toBe(false);
    expect(h.vault.get('work')).toBeUndefined();
    expect(h.broker.listAccounts()).toEqual([]);
    expect(await readFile(join(h.dataDir, 'config.json'), 'utf8')).not.toContain('"work"');
    await expect(h.broker.getToken('work')).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    // The name is free again, without leftovers.
    await h.broker.addAccount(passwordAccount(server, 'work'), basicSecrets(server));
    expect(h.broker.getAccount('work').status).toBe('needs_login');
  });

  it('rename keeps secrets, tokens and identity under the new name, across a restart', async () => {
    const first = await harness({ keepDataDir: true });
    await addSignedIn(first, server, 'work');
    await first.broker.addAccount(passwordAccount(server, 'taken'), basicSecrets(server));
    const before = await first.broker.getToken('work');
    const identity = first.broker.getAccount('work').identity;
    server.resetCounters();
    await expect(first.broker.renameAccount('work', 'taken')).rejects.toMatchObject({ code: 'ACCOUNT_EXISTS' });
    await expect(first.broker.renameAccount('work', 'bad name!')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(first.broker.renameAccount('nobody', 'x')).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    const renamed = await first.broker.renameAccount('work', 'home');
    expect(renamed).toMatchObject({ name: 'home', status: 'ok', hasRefreshToken: true });
    expect(renamed.identity).toEqual(identity);
    expect((await first.broker.getToken('home')).accessToken).toBe(before.accessToken);
    await expect(first.broker.getToken('work')).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    expect(first.vault.get('work')).toBeUndefined();
    expect(first.vault.get('home')?.clientSecret).toBe(server.clients.basic.clientSecret);
    expect(first.events).toContainEqual({ type: 'accounts_changed' });
    await first.broker.close();
    const h = await harness({ dataDir: first.dataDir, clock: first.clock });
    expect(h.broker.listAccounts().map((a) => a.name)).toEqual(['home', 'taken']);
    expect((await h.broker.getToken('home')).accessToken).toBe(before.accessToken);
    expect(server.tokenRequests).toEqual({});
  });

  it('remove and logout succeed when revocation fails, and say so in the log without secrets', async () => {
    const h = await harness();
    await addSignedIn(h, doomed, 'work');
    const refresh = h.vault.get('work')!.tokens!.refreshToken!;
    await doomed.close();
    await h.broker.removeAccount('work');
    expect(h.broker.listAccounts()).toEqual([]);
    expect(h.log.lines.some((line) => line.startsWith('[broker] revoking the refresh_token'))).toBe(true);
    expect(h.log.lines.join('\n')).not.toContain(refresh);
  });

  it('keeps accounts and tokens across a restart without a new sign-in', async () => {
    const first = await harness({ keepDataDir: true });
    await addSignedIn(first, server, 'work');
    const before = await first.broker.getToken('work', { client: 'script' });
    await first.broker.close();
    server.resetCounters();
    const h = await harness({ dataDir: first.dataDir, clock: first.clock });
    expect(h.broker.getAccount('work').status).toBe('ok');
    expect((await h.broker.getToken('work')).accessToken).toBe(before.accessToken);
    expect(server.tokenRequests).toEqual({});
    // The audit trail of the previous run was loaded from the file.
    expect(h.broker.auditLog({ client: 'script' })).toHaveLength(1);
  });
});

describe('approvals', () => {
  it('denies `ask` accounts when no approval UI is running (headless)', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work', { approval: 'ask' });
    await expect(h.broker.getToken('work', { client: 'curl' })).rejects.toMatchObject({ code: 'DENIED' });
    // The app itself acting on a person's click is not asked.
    expect((await h.broker.getToken('work', { client: 'app', skipApproval: true })).accessToken).toBeTruthy();
    expect(h.broker.auditLog({ account: 'work' }).map((entry) => entry.outcome)).toEqual(['granted', 'denied']);
  });

  it('asks the approval port once for a burst of requests, and honours deny', async () => {
    const asked: ApprovalRequest[] = [];
    let answer: 'allow' | 'deny' = 'allow';
    const h = await harness({
      approvals: {
        async requestApproval(request) {
          asked.push(request);
          await new Promise((resolve) => setTimeout(resolve, 20));
          return answer;
        },
      },
    });
    await addSignedIn(h, server, 'work', { approval: 'ask' });
    const handouts = await Promise.all(Array.from({ length: 5 }, () => h.broker.getToken('work', { client: 'kubectl' })));
    expect(handouts).toHaveLength(5);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ account: 'work', client: 'kubectl', id: expect.any(String) });
    expect(asked[0]!.expiresAt).toBeGreaterThan(asked[0]!.requestedAt);
    answer = 'deny';
    await expect(h.broker.getToken('work', { client: 'kubectl' })).rejects.toMatchObject({ code: 'DENIED' });
    expect(asked).toHaveLength(2);
  });
});

describe('audit', () => {
  it('records every hand-out with its outcome in memory and in a 0600 file', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    await h.broker.addAccount(passwordAccount(server, 'idle'), basicSecrets(server));
    await h.broker.getToken('work', { client: 'git' });
    await h.broker.getToken('idle', { client: 'cli' }).catch(() => {});
    await h.broker.getToken('missing', { client: 'cli' }).catch(() => {});
    const entries = h.broker.auditLog();
    // Refused requests (an unknown account) leave a trace too.
    expect(entries.map((entry) => [entry.account, entry.client, entry.outcome, entry.code])).toEqual([
      ['missing', 'cli', 'refused', 'ACCOUNT_NOT_FOUND'],
      ['idle', 'cli', 'needs_login', 'NEEDS_LOGIN'],
      ['work', 'git', 'granted', undefined],
    ]);
    expect(h.broker.auditLog({ account: 'work' })).toHaveLength(1);
    expect(h.broker.auditLog({ limit: 1 })[0]?.account).toBe('missing');
    expect(h.events.filter((event) => event.type === 'token_handed_out')).toHaveLength(3);
    await h.broker.close();
    const file = await readFile(h.auditFile, 'utf8');
    expect(
      file
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { outcome: string })
        .map((entry) => entry.outcome),
    ).toEqual(['granted', 'needs_login', 'refused']);
    expect((await stat(h.auditFile)).mode & 0o777).toBe(0o600);
  });

  it('keeps working when a listener throws', async () => {
    const h = await harness();
    h.broker.on(() => {
      throw new Error('listener bug');
    });
    await addSignedIn(h, server, 'work');
    expect((await h.broker.getToken('work')).accessToken).toBeTruthy();
  });
});
