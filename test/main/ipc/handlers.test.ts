import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY_FILE } from '../../../main/core/daemon.js';
import { BrokerError } from '../../../main/core/errors.js';
import { IPC_INVOKE_CHANNELS, type AccountDraft, type IpcChannel } from '../../../main/ipc/contract.js';
import { invokeHandler, type IpcHandlerTable } from '../../../main/ipc/handlers.js';
import { useAuthServer } from '../../support/fixtures.js';
import { clientCredentialsDraft, useIpcRig } from '../../support/ipc-rig.js';

const server = useAuthServer();
const rig = useIpcRig();

const ccDraft = (name: string, extra: Partial<AccountDraft> = {}): AccountDraft => clientCredentialsDraft(server, name, extra);

describe('IPC handler table', () => {
  it('answers version with the app version as a result object', async () => {
    const result = await rig.call('version');
    expect(result).toEqual({ ok: true, value: { app: '1.2.3', node: process.versions.node } });
  });

  it('validates the arguments of every channel before any logic', async () => {
    await rig.ok('addAccount', ccDraft('keep'));
    const junk = Array.from({ length: 4 }, () => ({ junk: true }));
    for (const channel of Object.keys(IPC_INVOKE_CHANNELS) as IpcChannel[]) {
      const result = await invokeHandler(rig.table, channel, junk as never);
      expect(result, channel).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
    expect((await rig.ok('listAccounts')).map((a) => a.name)).toEqual(['keep']);
    expect(rig.clipboard.text).toBe('');
  });

  it('adds, lists, updates and removes accounts, with views and events', async () => {
    const added = await rig.ok('addAccount', ccDraft('ci', { scopes: ['api'] }));
    expect(added).toMatchObject({
      name: 'ci',
      grant: 'client_credentials',
      issuer: server.issuer,
      clientId: server.clients.basic.clientId,
      clientAuth: 'basic',
      approval: 'auto',
      allowLegacy: false,
      hasRefreshToken: false,
    });
    expect(JSON.stringify(added)).not.toContain(server.clients.basic.clientSecret);
    expect(rig.events.some((e) => e.event === 'accountsChanged')).toBe(true);

    // Editing without a secret keeps the one in the vault: the account still gets tokens.
    const { clientSecret: _kept, ...withoutSecret } = ccDraft('ci', { approval: 'ask' });
    const updated = await rig.ok('updateAccount', 'ci', withoutSecret);
    expect(updated.approval).toBe('ask');
    await rig.ok('refresh', 'ci');
    expect((await rig.ok('listAccounts'))[0]?.status).toBe('ok');

    // Renaming keeps the secret and the token: the account stays ok under its new name.
    const renamed = await rig.ok('renameAccount', 'ci', 'ci2');
    expect(renamed).toMatchObject({ name: 'ci2', status: 'ok', approval: 'ask' });
    expect(await rig.call('refresh', 'ci')).toMatchObject({ ok: false, error: { code: 'ACCOUNT_NOT_FOUND' } });
    await rig.ok('refresh', 'ci2');
    await rig.ok('renameAccount', 'ci2', 'ci');

    expect(await rig.ok('removeAccount', 'ci')).toBeNull();
    expect(await rig.ok('listAccounts')).toEqual([]);
    expect(await rig.call('refresh', 'ci')).toMatchObject({ ok: false, error: { code: 'ACCOUNT_NOT_FOUND' } });
  });

  it('maps a private_key_jwt draft: the PEM goes to the vault as the private key', async () => {
    await rig.ok('addAccount', {
      ...ccDraft('jwt'),
      clientId: server.clients.jwt.clientId,
      clientAuth: 'private_key_jwt',
      clientSecret: server.clients.jwt.privateKeyPem,
      keyId: server.clients.jwt.keyId,
    });
    await rig.ok('copyToken', 'jwt');
    expect((await server.introspect(rig.clipboard.text)).active).toBe(true);
  });

  it('builds the provider from a preset and its fields', async () => {
    const presets = await rig.ok('listPresets');
    expect(presets.map((p) => p.id)).toContain('keycloak');
    const keycloak = presets.find((p) => p.id === 'keycloak');
    expect(keycloak?.fields.map((f) => f.key)).toEqual(expect.arrayContaining(['baseUrl', 'realm']));
    const added = await rig.ok('addAccount', {
      name: 'kc',
      preset: 'keycloak',
      presetFields: { baseUrl: 'https://sso.example.com', realm: 'dev' },
      clientId: 'cli',
      clientAuth: 'none',
      grant: 'device_code',
      scopes: ['openid'],
      allowLegacy: false,
      approval: 'auto',
    });
    expect(added.issuer).toBe('https://sso.example.com/realms/dev');
    expect(added.preset).toBe('keycloak');
    const bad = await rig.call('addAccount', { ...ccDraft('x'), preset: 'keycloak', presetFields: { realm: 'dev' } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });

  it('builds field-less presets in main: Google gets its issuer and offline access from the preset alone', async () => {
    const presets = await rig.ok('listPresets');
    expect(presets.find((p) => p.id === 'google')?.extraParams).toEqual({ access_type: 'offline', prompt: 'consent' });
    const base: Omit<AccountDraft, 'name'> = {
      clientId: 'g',
      clientAuth: 'post',
      clientSecret: 's',
      grant: 'authorization_code',
      scopes: ['openid'],
      allowLegacy: false,
      approval: 'auto',
    };
    const google = await rig.ok('addAccount', { ...base, name: 'google', preset: 'google' });
    expect(google).toMatchObject({ issuer: 'https://accounts.google.com', extraParams: { access_type: 'offline', prompt: 'consent' } });
    // A draft that lists parameters replaces the defaults, so the form can drop one.
    const edited = await rig.ok('updateAccount', 'google', {
      ...base,
      name: 'google',
      preset: 'google',
      extraParams: { access_type: 'offline' },
    });
    expect(edited.extraParams).toEqual({ access_type: 'offline' });
    const none = await rig.ok('updateAccount', 'google', { ...base, name: 'google', preset: 'google', extraParams: {} });
    expect(none).not.toHaveProperty('extraParams');
    const github = await rig.ok('addAccount', { ...base, name: 'gh', preset: 'github', scopes: [] });
    expect(github).toMatchObject({
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
    });
  });

  it("takes Auth0's audience from its preset field, over the same name in the extra parameters", async () => {
    const added = await rig.ok('addAccount', {
      name: 'a0',
      preset: 'auth0',
      presetFields: { domain: 'acme.us.auth0.com', audience: 'https://api.acme.example' },
      extraParams: { audience: 'stale', organization: 'org_1' },
      clientId: 'a0',
      clientAuth: 'none',
      grant: 'device_code',
      scopes: ['openid'],
      allowLegacy: false,
      approval: 'auto',
    });
    expect(added).toMatchObject({
      issuer: 'https://acme.us.auth0.com/',
      extraParams: { audience: 'https://api.acme.example', organization: 'org_1' },
    });
  });

  it('shows everything the edit form needs, so saving an unchanged account loses nothing', async () => {
    const draft: AccountDraft = {
      name: 'custom',
      preset: 'oauth2',
      authorizationEndpoint: `${server.issuer}/auth`,
      tokenEndpoint: `${server.issuer}/token`,
      deviceAuthorizationEndpoint: `${server.issuer}/device/auth`,
      revocationEndpoint: `${server.issuer}/token/revocation`,
      extraParams: { resource: 'https://api.example.com' },
      clientId: server.clients.jwt.clientId,
      clientAuth: 'private_key_jwt',
      clientSecret: server.clients.jwt.privateKeyPem,
      keyId: server.clients.jwt.keyId,
      grant: 'client_credentials',
      scopes: ['api:read'],
      allowLegacy: false,
      approval: 'ask',
      gitHosts: ['git.example.com'],
      gitUsername: 'bot',
      registryHosts: ['registry.example.com', '127.0.0.1:5000'],
      registryUsername: 'robot',
      kubernetesTokenType: 'access_token',
    };
    const view = await rig.ok('addAccount', draft);
    expect(view).toMatchObject({
      authorizationEndpoint: draft.authorizationEndpoint,
      tokenEndpoint: draft.tokenEndpoint,
      deviceAuthorizationEndpoint: draft.deviceAuthorizationEndpoint,
      revocationEndpoint: draft.revocationEndpoint,
      extraParams: draft.extraParams,
      keyId: draft.keyId,
      gitHosts: ['git.example.com'],
      gitUsername: 'bot',
      registryHosts: ['registry.example.com', '127.0.0.1:5000'],
      registryUsername: 'robot',
      kubernetesTokenType: 'access_token',
    });
    expect(JSON.stringify(view)).not.toContain('PRIVATE KEY');
    const { clientSecret: _secret, ...resubmitted } = draft;
    const saved = await rig.ok('updateAccount', 'custom', resubmitted);
    expect({ ...saved, status: view.status }).toEqual(view);
  });

  it('refuses an extra parameter the broker sets itself, naming it', async () => {
    const result = await rig.call('addAccount', ccDraft('x', { extraParams: { client_id: 'other' } }));
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: expect.stringContaining('client_id') } });
    if (!result.ok) expect(result.error.message).not.toContain('other');
  });

  it('rejects drafts the account model refuses, naming the field', async () => {
    const { issuer: _issuer, tokenEndpoint: _tokenEndpoint, ...withoutProvider } = ccDraft('x');
    const result = await rig.call('addAccount', withoutProvider);
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    if (!result.ok) expect(result.error.message).toMatch(/issuer|tokenEndpoint/);
  });

  it('copies a token to the clipboard without returning it, and records the hand-out', async () => {
    await rig.ok('addAccount', ccDraft('ci'));
    const result = await rig.ok('copyToken', 'ci');
    expect(Object.keys(result)).toEqual(['clearsAt']);
    expect(rig.clipboard.text.length).toBeGreaterThan(10);
    const audit = await rig.ok('auditLog', { account: 'ci' });
    expect(audit).toEqual([expect.objectContaining({ account: 'ci', client: 'Token Broker app', outcome: 'granted' })]);
    expect(rig.events).toContainEqual({ event: 'auditAppended', payload: expect.objectContaining({ account: 'ci', outcome: 'granted' }) });
  });

  it('shows token details without the token', async () => {
    await rig.ok('addAccount', ccDraft('ci'));
    expect(await rig.ok('tokenDetails', 'ci')).toBeNull();
    await rig.ok('refresh', 'ci');
    const details = await rig.ok('tokenDetails', 'ci');
    expect(details).toMatchObject({ tokenType: expect.stringMatching(/bearer/i), hasRefreshToken: false, hasIdToken: false });
    expect(details?.expiresAt).toBeGreaterThan(Date.now());
  });

  it('checks discovery of an issuer', async () => {
    const check = await rig.ok('checkDiscovery', server.issuer);
    expect(check).toMatchObject({ issuer: server.issuer, tokenEndpoint: expect.stringContaining(server.issuer) });
    expect(check.deviceAuthorizationEndpoint).toBeDefined();
  });

  it('reads and changes settings through the config store and the login-item port', async () => {
    const initial = await rig.ok('getSettings');
    expect(initial).toEqual({ socketPath: rig.daemon.socketPath, tcpListener: { enabled: false, port: 0 }, startAtLogin: false });
    const changed = await rig.ok('updateSettings', { tcpListener: { enabled: true, port: 0 }, startAtLogin: true });
    // Applied to the running broker at once: the window sees where it listens.
    const port = rig.daemon.api.tcpAddress?.port;
    expect(port).toBeGreaterThan(0);
    expect(changed.tcpListener).toEqual({ enabled: true, port, address: `127.0.0.1:${port}` });
    expect(changed.startAtLogin).toBe(true);
    expect(rig.loginItem).toEqual([true]);
    expect(rig.daemon.configStore.get().settings).toEqual({ tcpListener: { enabled: true, port: 0 }, startAtLogin: true });
    // Only the listener changed: the login item is not touched again.
    await rig.ok('updateSettings', { tcpListener: { enabled: false } });
    expect(rig.loginItem).toEqual([true]);
    expect(rig.daemon.configStore.get().settings.tcpListener).toEqual({ enabled: false, port: 0 });
    expect(rig.daemon.api.tcpAddress).toBeUndefined();
    expect((await rig.ok('getSettings')).tcpListener).toEqual({ enabled: false, port: 0 });
  });

  it('reveals the TCP key only through the clipboard', async () => {
    expect(await rig.call('copyTcpKey')).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    const settings = await rig.ok('regenerateTcpKey');
    expect(JSON.stringify(settings)).not.toMatch(/[A-Za-z0-9_-]{43}/);
    const keyFile = join(rig.home, API_KEY_FILE);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const copied = await rig.ok('copyTcpKey');
    expect(Object.keys(copied)).toEqual(['clearsAt']);
    const first = rig.clipboard.text;
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await rig.ok('regenerateTcpKey');
    await rig.ok('copyTcpKey');
    expect(rig.clipboard.text).not.toBe(first);
    rig.clock.advance(30_000);
    await new Promise((r) => setImmediate(r));
    expect(rig.clipboard.text).toBe('');
  });

  it('turns foreign errors into a generic INTERNAL error and keeps BrokerError details', async () => {
    const table = {
      ...rig.table,
      listAccounts: () => {
        throw new Error('secret-looking internals: token=abc');
      },
      refresh: () => {
        throw new BrokerError('OAUTH_ERROR', 'The provider refused', { oauthError: 'invalid_client', oauthErrorDescription: 'bad client' });
      },
    } as unknown as IpcHandlerTable;
    expect(await invokeHandler(table, 'listAccounts', [])).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'Unexpected internal error' },
    });
    expect(await invokeHandler(table, 'refresh', ['x'])).toEqual({
      ok: false,
      error: { code: 'OAUTH_ERROR', message: 'The provider refused', oauthError: 'invalid_client', oauthErrorDescription: 'bad client' },
    });
  });
});
