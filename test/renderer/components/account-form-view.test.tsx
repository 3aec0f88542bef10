import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp } from '../support/render-app.js';

async function openForm(presetLabel: RegExp, options: Parameters<typeof renderApp>[0] = {}) {
  const app = await renderApp(options);
  app.store.getState().navigate({ name: 'add-account' });
  await app.user.click(await screen.findByRole('radio', { name: presetLabel }));
  return app;
}

describe('Add account form', () => {
  it('shows the fields and hints of the chosen preset and validates inline', async () => {
    const { user, fake } = await openForm(/Microsoft Entra ID/);
    expect(screen.getByLabelText('Tenant')).toBeTruthy();
    expect(screen.getByRole('complementary', { name: /hints/ }).textContent).toContain('offline_access');
    await user.click(within(screen.getByRole('form')).getByRole('button', { name: 'Add account' }));
    expect(fake.callsTo('addAccount')).toHaveLength(0);
    const name = screen.getByLabelText('Account name');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(name);
    expect(screen.getByText('Tenant is required.')).toBeTruthy();
    expect(screen.getByText(/Enter the client ID/)).toBeTruthy();
  });

  it('adds an account from preset fields, clears the secret and opens its page', async () => {
    const { user, fake } = await openForm(/Okta/);
    await user.type(screen.getByLabelText('Account name'), 'okta-dev');
    await user.type(screen.getByLabelText('Okta domain'), 'dev-1.okta.com');
    await user.type(screen.getByLabelText('Client ID'), '0oa123');
    await user.selectOptions(screen.getByLabelText('Client authentication'), 'basic');
    await user.type(screen.getByLabelText('Client secret'), 's3cret');
    await user.click(screen.getByRole('radio', { name: /Ask me/ }));
    await user.type(screen.getByLabelText(/Git hosts/), 'git.example.com');
    await user.click(within(screen.getByRole('form')).getByRole('button', { name: 'Add account' }));
    expect(fake.callsTo('addAccount')[0]?.[0]).toMatchObject({
      name: 'okta-dev',
      preset: 'okta',
      presetFields: { domain: 'dev-1.okta.com' },
      clientId: '0oa123',
      clientAuth: 'basic',
      clientSecret: 's3cret',
      approval: 'ask',
      gitHosts: ['git.example.com'],
    });
    expect(await screen.findByRole('heading', { level: 1, name: 'okta-dev' })).toBeTruthy();
  });

  it('shows the broker’s refusal and keeps the form', async () => {
    const { user, fake } = await openForm(/Google/, { accounts: [] });
    fake.failures.set('addAccount', { code: 'INVALID_REQUEST', message: 'redirectUri: must be loopback' });
    await user.type(screen.getByLabelText('Account name'), 'g');
    await user.type(screen.getByLabelText('Client ID'), 'id');
    await user.type(screen.getByLabelText('Client secret'), 'secret');
    await user.click(within(screen.getByRole('form')).getByRole('button', { name: 'Add account' }));
    expect((await screen.findByRole('alert')).textContent).toContain('redirectUri: must be loopback');
    expect((screen.getByLabelText('Client secret') as HTMLInputElement).value).toBe('');
  });

  it('checks OIDC discovery and shows the endpoints found', async () => {
    const { user, fake } = await openForm(/OpenID Connect/);
    await user.type(screen.getByLabelText('Issuer URL'), 'https://id.example.com');
    await user.click(screen.getByRole('button', { name: 'Check discovery' }));
    expect(fake.callsTo('checkDiscovery')).toEqual([['https://id.example.com']]);
    expect(await screen.findByText('Discovery found')).toBeTruthy();
    expect(screen.getByText('https://id.example.com/token')).toBeTruthy();

    fake.discovery.set('https://down.example.com', { ok: false, error: { code: 'PROVIDER_UNREACHABLE', message: 'x' } });
    await user.clear(screen.getByLabelText('Issuer URL'));
    await user.type(screen.getByLabelText('Issuer URL'), 'https://down.example.com');
    await user.click(screen.getByRole('button', { name: 'Check discovery' }));
    expect((await screen.findByRole('alert')).textContent).toContain('could not be reached');
  });

  it('asks for explicit endpoints for generic OAuth 2.0', async () => {
    const { user, fake } = await openForm(/OAuth 2.0/);
    await user.type(screen.getByLabelText('Account name'), 'custom');
    await user.type(screen.getByLabelText('Client ID'), 'cid');
    await user.type(screen.getByLabelText('Client secret'), 'sec');
    await user.click(within(screen.getByRole('form')).getByRole('button', { name: 'Add account' }));
    expect(screen.getByText('The token endpoint is required for this grant.')).toBeTruthy();
    expect(screen.getByText('The authorization endpoint is required for this grant.')).toBeTruthy();
    await user.type(screen.getByLabelText('Authorization endpoint'), 'https://auth.example.com/authorize');
    await user.type(screen.getByLabelText('Token endpoint'), 'https://auth.example.com/token');
    await user.click(within(screen.getByRole('form')).getByRole('button', { name: 'Add account' }));
    expect(fake.callsTo('addAccount')[0]?.[0]).toMatchObject({
      authorizationEndpoint: 'https://auth.example.com/authorize',
      tokenEndpoint: 'https://auth.example.com/token',
    });
  });

  it('keeps legacy grants behind the insecure switch', async () => {
    const { user } = await openForm(/OpenID Connect/);
    const grant = screen.getByLabelText('Grant') as HTMLSelectElement;
    const password = within(grant).getByRole('option', { name: 'Password (legacy)' }) as HTMLOptionElement;
    expect(password.disabled).toBe(true);
    const optIn = screen.getByRole('switch', { name: 'I understand this is insecure' });
    expect(optIn.getAttribute('aria-describedby')).toBeTruthy();
    await user.click(optIn);
    expect(password.disabled).toBe(false);
    await user.selectOptions(grant, 'password');
    expect(screen.getByRole('note').textContent).toContain('never stored');
    await user.click(optIn);
    expect(grant.value).toBe('authorization_code');
  });

  it('shows the preset’s extra parameters under Advanced and checks them as they are typed', async () => {
    const { user, fake } = await openForm(/Google/);
    const extra = screen.getByLabelText(/Extra authorization parameters/) as HTMLTextAreaElement;
    expect(extra.value).toBe('access_type=offline\nprompt=consent');
    expect(extra.closest('details')?.open).toBe(true);
    await user.type(extra, '\nscope=admin');
    expect(extra.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/Line 3: “scope” is set by the broker itself/)).toBeTruthy();
    await user.type(screen.getByLabelText('Account name'), 'g');
    await user.type(screen.getByLabelText('Client ID'), 'id');
    await user.type(screen.getByLabelText('Client secret'), 'secret');
    await user.click(within(screen.getByRole('form')).getByRole('button', { name: 'Add account' }));
    expect(fake.callsTo('addAccount')).toHaveLength(0);
    await user.clear(extra);
    await user.type(extra, 'access_type=offline');
    expect(extra.getAttribute('aria-invalid')).toBeNull();
    await user.click(within(screen.getByRole('form')).getByRole('button', { name: 'Add account' }));
    const sent = fake.callsTo('addAccount')[0]?.[0];
    expect(sent).toMatchObject({ name: 'g', preset: 'google', extraParams: { access_type: 'offline' } });
    expect(sent).not.toHaveProperty('issuer');
  });

  it('edits a generic OAuth 2.0 account without losing endpoints, key ID, git settings or parameters', async () => {
    const stored = accountView({
      name: 'custom',
      preset: 'oauth2',
      grant: 'device_code',
      authorizationEndpoint: 'https://as.example.com/authorize',
      tokenEndpoint: 'https://as.example.com/token',
      deviceAuthorizationEndpoint: 'https://as.example.com/device',
      revocationEndpoint: 'https://as.example.com/revoke',
      extraParams: { resource: 'https://api.example.com' },
      clientAuth: 'private_key_jwt',
      keyId: 'k1',
      gitHosts: ['git.example.com'],
      gitUsername: 'bot',
    });
    delete stored.issuer;
    const app = await renderApp({ accounts: [stored] });
    app.store.getState().navigate({ name: 'edit-account', account: 'custom' });
    expect(((await screen.findByLabelText(/Device authorization endpoint/)) as HTMLInputElement).value).toBe(
      'https://as.example.com/device',
    );
    expect((screen.getByLabelText(/Revocation endpoint/) as HTMLInputElement).value).toBe('https://as.example.com/revoke');
    expect((screen.getByLabelText(/Key ID/) as HTMLInputElement).value).toBe('k1');
    expect((screen.getByLabelText(/Git username/) as HTMLInputElement).value).toBe('bot');
    expect((screen.getByLabelText(/Extra authorization parameters/) as HTMLTextAreaElement).value).toBe('resource=https://api.example.com');
    await app.user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(app.fake.callsTo('updateAccount')[0]).toEqual([
      'custom',
      expect.objectContaining({
        authorizationEndpoint: 'https://as.example.com/authorize',
        tokenEndpoint: 'https://as.example.com/token',
        deviceAuthorizationEndpoint: 'https://as.example.com/device',
        revocationEndpoint: 'https://as.example.com/revoke',
        extraParams: { resource: 'https://api.example.com' },
        keyId: 'k1',
        gitHosts: ['git.example.com'],
        gitUsername: 'bot',
      }),
    ]);
  });

  it('edits an account with its values filled in and the secret kept', async () => {
    const app = await renderApp({
      accounts: [accountView({ name: 'kc', preset: 'keycloak', issuer: 'https://sso.example.com/realms/dev', clientAuth: 'none' })],
    });
    app.store.getState().navigate({ name: 'edit-account', account: 'kc' });
    expect(((await screen.findByLabelText('Realm')) as HTMLInputElement).value).toBe('dev');
    expect((screen.getByLabelText('Account name') as HTMLInputElement).readOnly).toBe(true);
    await app.user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(app.fake.callsTo('updateAccount')[0]).toEqual([
      'kc',
      expect.objectContaining({ presetFields: { baseUrl: 'https://sso.example.com', realm: 'dev' } }),
    ]);
  });
});
