import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError } from '../../../main/core/errors.js';
import { createKeytarSecretStore, keychainRemedy, keytarInChildProcess } from '../../../main/core/vault/keychain.js';
import { useTempDir } from '../../support/fixtures.js';
import { buildChildScript, keychain, removeChildScripts, REPO_ROOT } from './support/helpers.js';

describe('createKeytarSecretStore (real Secret Service)', () => {
  const service = `token-broker-test-${randomUUID()}`;
  afterAll(async () => {
    await keychain.deletePassword(service, 'item');
  });

  it('round-trips an item through keytar and gnome-keyring', async () => {
    expect(process.env.TOKEN_BROKER_TEST_KEYRING).toBe('1');
    expect(await keychain.getPassword(service, 'item')).toBeNull();
    await keychain.setPassword(service, 'item', 'first');
    expect(await keychain.getPassword(service, 'item')).toBe('first');
    await keychain.setPassword(service, 'item', 'second');
    expect(await createKeytarSecretStore().getPassword(service, 'item')).toBe('second');
    expect(await keychain.deletePassword(service, 'item')).toBe(true);
    expect(await keychain.getPassword(service, 'item')).toBeNull();
  });

  it('translates a keytar that cannot be loaded into KEYCHAIN_UNAVAILABLE with the remedy', async () => {
    const store = createKeytarSecretStore({
      load: () => {
        throw new Error("Cannot find module 'keytar'");
      },
    });
    const error = await store.getPassword(service, 'item').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect((error as Error).message).toContain('could not be loaded');
    expect((error as Error).message).toContain('TOKEN_BROKER_PASSPHRASE_FILE');
  });

  it('names the rebuild when keytar was built for the other runtime (after npm start)', async () => {
    const store = createKeytarSecretStore({
      load: () => {
        throw new Error('The module keytar.node was compiled against a different Node.js version using NODE_MODULE_VERSION 139.');
      },
    });
    const error = await store.getPassword(service, 'item').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect((error as Error).message).toContain('npm rebuild keytar');
  });

  it('translates a failing keychain call, keeping the cause but not the secret', async () => {
    const cause = new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
    const store = createKeytarSecretStore({
      load: () => ({
        getPassword: () => Promise.reject(cause),
        setPassword: () => Promise.reject(cause),
        deletePassword: () => Promise.reject(cause),
        findPassword: () => Promise.reject(cause),
        findCredentials: () => Promise.reject(cause),
      }),
    });
    const error = (await store.setPassword(service, 'item', 'the-secret-value').catch((e: unknown) => e)) as BrokerError;
    expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('Cannot autolaunch D-Bus');
    expect(error.message).not.toContain('the-secret-value');
  });

  it('names a platform-specific remedy', () => {
    expect(keychainRemedy('linux')).toMatch(/gnome-keyring.*KeePassXC.*TOKEN_BROKER_PASSPHRASE_FILE/s);
    expect(keychainRemedy('darwin')).toContain('login keychain');
    expect(keychainRemedy('win32')).toContain('Credential Manager');
  });
});

describe('keytar in a helper process (serve)', () => {
  const service = `token-broker-test-${randomUUID()}`;
  const temp = useTempDir('token-broker-keychain-helper-');
  afterAll(async () => {
    await keychain.deletePassword(service, 'item');
  });

  it('round-trips an item through the helper, the same item keytar sees in-process', async () => {
    const store = createKeytarSecretStore({ load: () => keytarInChildProcess() });
    expect(await store.getPassword(service, 'item')).toBeNull();
    await store.setPassword(service, 'item', 'from-the-helper');
    expect(await keychain.getPassword(service, 'item')).toBe('from-the-helper');
    await keychain.setPassword(service, 'item', 'from-here');
    expect(await store.getPassword(service, 'item')).toBe('from-here');
    expect(await store.deletePassword(service, 'item')).toBe(true);
    expect(await keychain.getPassword(service, 'item')).toBeNull();
  });

  it('never puts the secret on the helper command line', async () => {
    const log = join(temp.path, 'argv.log');
    const wrapper = join(temp.path, 'node-wrapper.sh');
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\nexec '${process.execPath}' "$@"\n`, { mode: 0o700 });
    const store = createKeytarSecretStore({ load: () => keytarInChildProcess({ execPath: wrapper }) });
    await store.setPassword(service, 'item', 'the-secret-value-42');
    expect(await store.getPassword(service, 'item')).toBe('the-secret-value-42');
    const argv = await readFile(log, 'utf8');
    expect(argv).toContain(service);
    expect(argv).not.toContain('the-secret-value-42');
    await store.deletePassword(service, 'item');
  });

  it('reports a helper that cannot load keytar like an in-process load failure, with the remedy', async () => {
    const store = createKeytarSecretStore({ load: () => keytarInChildProcess({ keytarPath: join(temp.path, 'no-keytar-here.node') }) });
    const error = await store.getPassword(service, 'item').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect((error as Error).message).toContain('could not be loaded');
    expect((error as Error).message).toContain('TOKEN_BROKER_PASSPHRASE_FILE');
  });

  it('reports a keychain the helper cannot reach (no session bus) with the platform remedy', async () => {
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent';
    try {
      const store = createKeytarSecretStore({ load: () => keytarInChildProcess() });
      const error = await store.getPassword(service, 'item').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
      expect((error as Error).message).toContain('The OS keychain is not available');
      expect((error as Error).message).toMatch(/gnome-keyring/);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });
});

describe('keychain unavailable (no D-Bus)', () => {
  let probe: string;
  beforeAll(async () => {
    probe = await buildChildScript(join(REPO_ROOT, 'test/core/vault/support/keychain-probe.ts'));
  });
  afterAll(removeChildScripts);

  it('a process without a session bus gets KEYCHAIN_UNAVAILABLE naming the remedy', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const child = spawn(process.execPath, [probe], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(status).toBe(0);
    const outcome = JSON.parse(stdout) as { ok: boolean; code?: string; message?: string };
    expect(outcome).toMatchObject({ ok: false, code: 'KEYCHAIN_UNAVAILABLE' });
    // keytar itself loaded: the failure is the keychain, not a missing module.
    expect(outcome.message).toContain('The OS keychain is not available');
    expect(outcome.message).toMatch(/gnome-keyring/);
    expect(outcome.message).toContain('TOKEN_BROKER_PASSPHRASE_FILE');
  });
});
