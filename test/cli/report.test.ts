import { describe, expect, it } from 'vitest';
import { describeAge, formatAccountShow, formatAudit, formatStatus, localTime, type StatusView } from '../../main/cli/report.js';

const NOW = 1_750_000_000;

const base: StatusView = {
  name: 'work',
  grant: 'authorization_code',
  status: 'ok',
  identity: { sub: '248289761001', username: 'alice', email: 'alice@example.com' },
  expires_at: NOW + 3120,
  id_token_expires_at: NOW + 3120,
  refresh_token: true,
  scopes: ['openid', 'api'],
  configured_scopes: ['openid', 'api', 'offline_access'],
  last_refresh: { at: NOW - 180, outcome: 'ok' },
  approval: 'auto',
  git_hosts: ['github.com'],
  registries: [],
};

describe('status', () => {
  it('shows who is signed in, expiries, scopes held vs configured, refresh token, approval and git hosts', () => {
    expect(formatStatus([base], NOW)).toBe(
      [
        'work (authorization_code)',
        '  ✓ Signed in as alice <alice@example.com>',
        '  status         ok',
        `  access token   in 52m (${localTime(NOW + 3120)})`,
        `  ID token       in 52m (${localTime(NOW + 3120)})`,
        '  refresh token  held',
        '  scopes         openid api  (configured: openid api offline_access; not granted: offline_access)',
        '  last refresh   ok, 3m ago',
        '  approval       auto',
        '  git hosts      github.com',
        '',
      ].join('\n'),
    );
  });

  it('a client-credentials account before its first request has no token yet, and says so', () => {
    const cc = {
      ...base,
      name: 'ci',
      grant: 'client_credentials',
      identity: null,
      expires_at: null,
      access_token: false,
      last_refresh: null,
    };
    expect(formatStatus([cc], NOW)).toMatch(/^ {2}access token +none yet \(fetched on the first request\)$/m);
    expect(formatStatus([{ ...cc, access_token: true, expires_at: NOW + 600 }], NOW)).toMatch(/^ {2}access token +in 10m /m);
  });

  it('says what to run when an account needs a person', () => {
    const text = formatStatus(
      [
        { ...base, name: 'a', status: 'needs_login', identity: null, expires_at: null, id_token_expires_at: null, refresh_token: false },
        { ...base, name: 'cc', grant: 'client_credentials', status: 'needs_secret', identity: null, last_refresh: null },
        {
          ...base,
          name: 'e',
          status: 'error',
          last_refresh: { at: NOW - 30, outcome: 'error', code: 'OAUTH_ERROR', message: 'invalid_client' },
        },
      ],
      NOW,
    );
    expect(text).toContain("a (authorization_code)\n  ✗ Not signed in: run 'token-broker login a'");
    expect(text).toContain('  access token   none');
    expect(text).toContain(`✗ Client secret missing: printf '%s\\n' "$CLIENT_SECRET" | token-broker account edit cc --client-secret-stdin`);
    expect(text).toContain('! Last refresh failed (OAUTH_ERROR)');
    expect(text).toContain('  last refresh   failed (OAUTH_ERROR: invalid_client), 30s ago');
    // Client credentials have no refresh token to speak of.
    expect(text.split('\n\n')[1]).not.toContain('refresh token');
  });

  it('prints registries, the scope list when it matches, and accounts without an identity', () => {
    const text = formatStatus(
      [{ ...base, identity: null, scopes: ['a'], configured_scopes: ['a'], registries: ['ghcr.io'], approval: 'ask', git_hosts: [] }],
      NOW,
    );
    expect(text).toContain('  ✓ Signed in\n');
    expect(text).toContain('  scopes         a\n');
    expect(text).toContain('  registries     ghcr.io');
    expect(text).toContain('  approval       ask (each hand-out needs approval in the app)');
    expect(text).not.toContain('git hosts');
    expect(formatStatus([], NOW)).toContain('No accounts yet');
  });
});

describe('account show', () => {
  it('lists every setting by its config.json path, and only whether secrets are stored', () => {
    const text = formatAccountShow(
      {
        name: 'work',
        provider: { issuer: 'https://id.example.com', extraParams: { access_type: 'offline' } },
        client: { id: 'app', auth: 'basic' },
        grant: 'authorization_code',
        scopes: ['openid', 'api'],
        allowLegacy: false,
        git: { hosts: [], username: 'oauth2' },
      },
      { client_secret: true, private_key: false },
    );
    expect(text).toMatch(/^name +work$/m);
    expect(text).toMatch(/^provider\.issuer +https:\/\/id\.example\.com$/m);
    expect(text).toMatch(/^provider\.extraParams\.access_type +offline$/m);
    expect(text).toMatch(/^scopes +openid api$/m);
    expect(text).toMatch(/^git\.hosts +\(none\)$/m);
    expect(text).toMatch(/^allowLegacy +false$/m);
    expect(text).toMatch(/^secret\.client_secret +stored in the vault$/m);
    expect(text).toMatch(/^secret\.private_key +not stored$/m);
  });
});

describe('audit', () => {
  it('is a table, oldest first, with local times and the verified caller beside the claimed name', () => {
    const text = formatAudit([
      {
        at: NOW + 60.5,
        account: 'work',
        client: 'deploy.sh',
        outcome: 'denied',
        code: 'DENIED',
        caller: { verified: true, pid: 42, exe: '/usr/bin/curl' },
      },
      { at: NOW, account: 'work', client: 'git', outcome: 'granted' },
      {
        at: NOW + 120,
        account: 'api',
        client: 'proxy',
        outcome: 'granted',
        kind: 'proxy',
        method: 'GET',
        host: 'api.example.com',
        status: 200,
      },
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +ACCOUNT +CLIENT +OUTCOME +DETAIL$/);
    expect(lines[1]).toMatch(new RegExp(`^${localTime(NOW)} +work +git +granted$`));
    expect(lines[2]).toContain('deploy.sh (verified /usr/bin/curl pid 42)');
    expect(lines[2]).toMatch(/denied +DENIED$/);
    expect(lines[3]).toMatch(/granted +proxy GET api\.example\.com 200$/);
  });
});

describe('times', () => {
  it('describes ages', () => {
    expect(describeAge(NOW, NOW)).toBe('just now');
    expect(describeAge(NOW - 30, NOW)).toBe('30s ago');
    expect(describeAge(NOW - 3 * 3600 - 120, NOW)).toBe('3h 2m ago');
    expect(describeAge(NOW - 5 * 86400, NOW)).toBe('5d ago');
    expect(localTime(NOW)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });
});
