import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { configJsonSchemaText } from '../../../main/core/accounts/config-schema.js';
import { checkedStamp, openConfigStore } from '../../../main/core/accounts/config-store.js';
import { parseConfigText } from '../../../main/core/accounts/validate.js';
import type { AccountInput, BrokerConfig } from '../../../main/core/accounts/model.js';
import { BrokerError } from '../../../main/core/errors.js';

const account = (name: string, extra: Partial<AccountInput> = {}): AccountInput => ({
  name,
  provider: { issuer: 'https://id.example.com' },
  client: { id: `client-${name}` },
  grant: 'authorization_code',
  ...extra,
});

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe('CONFIG_INVALID');
    return (error as BrokerError).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('openConfigStore', () => {
  const temp = useTempDir('tb-config-');
  /** Not created yet, as on a first run. */
  const dataDir = (): string => join(temp.path, 'home');

  it('a missing file is an empty config with defaults, and nothing is written on load', async () => {
    const store = await openConfigStore(dataDir());
    expect(store.get()).toEqual({
      version: 1,
      accounts: [],
      proxies: [],
      settings: { tcpListener: { enabled: false, port: 0 }, startAtLogin: false },
    });
    expect(await readdir(dataDir())).toEqual([]);
  });

  it('update validates, writes 2-space JSON (0600) with $schema and the schema file next to it, and reloads', async () => {
    const store = await openConfigStore(dataDir());
    const result = await store.update((config) => ({
      ...config,
      accounts: [...config.accounts, account('work') as BrokerConfig['accounts'][number]],
    }));
    expect(result.accounts[0]).toMatchObject({ name: 'work', scopes: [], allowLegacy: false, approval: 'auto', client: { auth: 'basic' } });

    const path = join(dataDir(), 'config.json');
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('{\n  "$schema": "./config.schema.json",\n  "version": 1,')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dataDir(), 'config.schema.json'), 'utf8')).toBe(configJsonSchemaText());

    const reopened = await openConfigStore(dataDir());
    expect(reopened.get()).toEqual(result);
  });

  it('records the digest of what it validated and wrote; a start that finds that exact text uses it as it is', async () => {
    const store = await openConfigStore(dataDir());
    await store.update((config) => ({ ...config, accounts: [account('work') as BrokerConfig['accounts'][number]] }));
    const path = join(dataDir(), 'config.json');
    const checked = join(dataDir(), 'config.json.checked');
    const text = await readFile(path, 'utf8');
    expect(await readFile(checked, 'utf8')).toBe(checkedStamp(text));
    expect((await stat(checked)).mode & 0o777).toBe(0o600);
    expect(checkedStamp(text)).toMatch(/^sha256:[0-9a-f]{64} schema:\S+ version:\S+\n$/);

    const reopened = await openConfigStore(dataDir());
    expect(reopened.get()).toEqual(store.get());
  });

  it('the text it stamps is a fixed point of validation: taking it as it is gives what validating it would', async () => {
    const store = await openConfigStore(dataDir());
    await store.update((config) => ({
      ...config,
      accounts: [
        account('rich', {
          preset: 'generic',
          provider: { issuer: 'https://id.example.com', userinfoEndpoint: 'https://id.example.com/me', extraParams: { audience: 'api' } },
          client: { id: 'c', auth: 'post' },
          scopes: ['openid', 'offline_access'],
          redirectUri: 'http://127.0.0.1/callback',
          approval: 'ask',
          git: { hosts: ['git.example.com'], username: 'oauth2' },
          refresh: { proactive: 'always', idleAfterHours: 2 },
          registry: { hosts: ['ghcr.io'], username: 'u' },
          kubernetes: { tokenType: 'access_token' },
        }) as BrokerConfig['accounts'][number],
        account('plain') as BrokerConfig['accounts'][number],
      ],
      settings: { tcpListener: { enabled: true, port: 0 }, startAtLogin: true },
    }));
    const text = await readFile(join(dataDir(), 'config.json'), 'utf8');
    expect(parseConfigText(text, 'config.json')).toEqual(JSON.parse(text));
    expect((await openConfigStore(dataDir())).get()).toEqual(parseConfigText(text, 'config.json'));
  });

  it('validates again when the stamp is from another schema or version, or for other bytes', async () => {
    const store = await openConfigStore(dataDir());
    await store.update((config) => ({ ...config, accounts: [account('work') as BrokerConfig['accounts'][number]] }));
    const path = join(dataDir(), 'config.json');
    const checked = join(dataDir(), 'config.json.checked');
    // An invalid file in the store's own form, with stamps that do not vouch for it under this build.
    const invalid = (await readFile(path, 'utf8')).replace('"approval": "auto"', '"approval": "sometimes"');
    await writeFile(path, invalid);
    const [digest] = checkedStamp(invalid).split(' ');
    for (const stale of [`${digest} schema:0000000000000000 version:0.0.0\n`, checkedStamp(`${invalid} `), '']) {
      await writeFile(checked, stale);
      await expect(openConfigStore(dataDir())).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('approval'),
      });
      expect(await readFile(path, 'utf8')).toBe(invalid);
    }
  });

  it('validates a file edited by hand, whatever the stamp says', async () => {
    const store = await openConfigStore(dataDir());
    await store.update((config) => ({ ...config, accounts: [account('work') as BrokerConfig['accounts'][number]] }));
    const path = join(dataDir(), 'config.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"approval": "auto"', '"approval": "sometimes"'));
    await expect(openConfigStore(dataDir())).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('approval'),
    });
    // A valid edit in the store's own form is stamped after it passed, so the next start skips it.
    await writeFile(path, (await readFile(path, 'utf8')).replace('"approval": "sometimes"', '"approval": "ask"'));
    expect((await openConfigStore(dataDir())).get().accounts[0]?.approval).toBe('ask');
    expect(await readFile(join(dataDir(), 'config.json.checked'), 'utf8')).toBe(checkedStamp(await readFile(path, 'utf8')));
  });

  it('get() returns a copy', async () => {
    const store = await openConfigStore(dataDir());
    store.get().accounts.push(account('x') as BrokerConfig['accounts'][number]);
    expect(store.get().accounts).toEqual([]);
  });

  it('serializes updates: each sees the previous result', async () => {
    const store = await openConfigStore(dataDir());
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) =>
        store.update((config) => ({ ...config, accounts: [...config.accounts, account(name) as BrokerConfig['accounts'][number]] })),
      ),
    );
    expect(store.get().accounts.map((a) => a.name)).toEqual(['a', 'b', 'c', 'd']);
    expect((await openConfigStore(dataDir())).get().accounts).toHaveLength(4);
  });

  it('an invalid update is refused with the field path and writes nothing', async () => {
    const store = await openConfigStore(dataDir());
    await store.update((config) => ({ ...config, accounts: [account('a') as BrokerConfig['accounts'][number]] }));
    const before = await readFile(join(dataDir(), 'config.json'), 'utf8');
    const error = await store
      .update((config) => ({
        ...config,
        accounts: [...config.accounts, account('b', { provider: { issuer: 'ftp://x' } }) as BrokerConfig['accounts'][number]],
      }))
      .catch((e: unknown) => e as BrokerError);
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('accounts[1].provider.issuer: must be an http(s) URL'),
    });
    expect(await readFile(join(dataDir(), 'config.json'), 'utf8')).toBe(before);
    expect(store.get().accounts).toHaveLength(1);
    // The queue goes on after a failed update.
    await store.update((config) => config);
  });

  it('an invalid file is reported with the field path and never overwritten', async () => {
    await openConfigStore(dataDir()); // creates the directory
    const path = join(dataDir(), 'config.json');
    const content = JSON.stringify(
      { version: 1, accounts: [account('ok'), account('bad', { provider: { issuer: 'not a url' } })] },
      null,
      2,
    );
    await writeFile(path, content);
    await expect(openConfigStore(dataDir())).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('accounts[1].provider.issuer'),
    });
    expect(await readFile(path, 'utf8')).toBe(content);
  });

  it('unparsable JSON is reported with line and column', async () => {
    await openConfigStore(dataDir());
    await writeFile(join(dataDir(), 'config.json'), '{\n  "version": 1,\n  "accounts": [,]\n}\n');
    await expect(openConfigStore(dataDir())).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('is not valid JSON at line 3, column 16'),
    });
  });
});

describe('config validation messages', () => {
  const parse = (value: unknown) => parseConfigText(JSON.stringify(value), 'config.json');

  it('names every bad field with its path', () => {
    const message = messageOf(() =>
      parse({
        version: 1,
        accounts: [
          account('ok'),
          { ...account('x'), provider: { issuer: 'mailto:a@b' } },
          { ...account('bad name!'), grant: 'magic', client: { id: '' } },
        ],
      }),
    );
    expect(message).toContain('accounts[1].provider.issuer: must be an http(s) URL');
    expect(message).toContain('accounts[2].name: letters, digits');
    expect(message).toContain('accounts[2].client.id:');
    expect(message).toContain('accounts[2].grant:');
  });

  it('reports unknown keys (typos) and the missing version', () => {
    expect(messageOf(() => parse({ version: 1, acounts: [] }))).toMatch(/acounts/);
    expect(messageOf(() => parse({ accounts: [] }))).toContain('version:');
    expect(messageOf(() => parse({ version: 1, accounts: [{ ...account('a'), scope: ['x'] }] }))).toMatch(/accounts\[0\].*scope/);
  });

  it('reports the provider rule, duplicates and cross-field rules', () => {
    expect(messageOf(() => parse({ version: 1, accounts: [{ ...account('a'), provider: {} }] }))).toContain(
      'accounts[0].provider: set either issuer (for discovery) or at least tokenEndpoint',
    );
    expect(messageOf(() => parse({ version: 1, accounts: [account('a'), account('b'), account('a')] }))).toContain(
      'accounts[2].name: duplicate account name "a" (also accounts[0])',
    );
    expect(
      messageOf(() => parse({ version: 1, accounts: [account('a', { grant: 'client_credentials', client: { id: 'c', auth: 'none' } })] })),
    ).toContain('accounts[0].client.auth: the client_credentials grant needs client authentication');
    expect(messageOf(() => parse({ version: 1, accounts: [account('a', { redirectUri: 'https://example.com/cb' })] }))).toContain(
      'accounts[0].redirectUri: must be a loopback http URI',
    );
  });

  it('tells where JSON breaks', () => {
    expect(messageOf(() => parseConfigText('{"version": 1,}', 'config.json'))).toContain('line 1, column 15');
    expect(messageOf(() => parseConfigText('', 'config.json'))).toContain('line 1, column 1');
  });
});
