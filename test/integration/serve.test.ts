/**
 * `token-broker serve` start-up and shutdown as a user meets them: a clear error and remedy when
 * no keychain is reachable, the passphrase-file alternative, a wrong passphrase, and a graceful
 * SIGINT/SIGTERM that removes the socket.
 */
import { access, chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call } from '../core/api/support/http.js';
import { runCli, startServe, useSandbox } from './support/cli.js';

const sandbox = useSandbox();
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };

describe('token-broker serve', () => {
  it('without a keychain says KEYCHAIN_UNAVAILABLE with the remedy, and exits 1', async () => {
    const result = await runCli(['serve'], { ...sandbox.env, ...noKeychain, TOKEN_BROKER_HOME: join(sandbox.dir, 'nokeychain') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('KEYCHAIN_UNAVAILABLE');
    expect(result.stderr).toContain('TOKEN_BROKER_PASSPHRASE_FILE');
    await expect(access(sandbox.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('runs on a passphrase file instead, refuses a wrong one, and closes gracefully on SIGINT', async () => {
    const passphraseFile = join(sandbox.dir, 'passphrase');
    await writeFile(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
    const home = join(sandbox.dir, 'passphrase-home');
    const env = { ...sandbox.env, ...noKeychain, TOKEN_BROKER_HOME: home, TOKEN_BROKER_PASSPHRASE_FILE: passphraseFile };
    const broker = await startServe({ ...sandbox, env });
    expect((await call({ socketPath: sandbox.socketPath }, 'GET', '/v1/health')).json).toMatchObject({ status: 'ok' });
    broker.child.kill('SIGINT');
    expect((await broker.exited).code).toBe(0);
    expect(broker.stderr()).toContain('[serve] closed');
    await expect(access(sandbox.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });

    await writeFile(passphraseFile, 'wrong passphrase\n', { mode: 0o600 });
    const wrong = await runCli(['serve'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/cannot start the broker \(PASSPHRASE_INVALID\)/);
    expect(wrong.stderr).not.toContain('wrong passphrase');
  });

  it.skipIf(process.platform === 'win32')(
    'serves from a symlinked TOKEN_BROKER_HOME (judged by its real directory), refuses it once others can read it',
    async () => {
      const real = join(sandbox.dir, 'real-home');
      await mkdir(real, { mode: 0o700 });
      await chmod(real, 0o700);
      const link = join(sandbox.dir, 'linked-home');
      await symlink(real, link);
      const env: NodeJS.ProcessEnv = { ...sandbox.env, TOKEN_BROKER_HOME: link };
      delete env.TOKEN_BROKER_SOCKET;
      const socketPath = join(link, 'broker.sock');
      const broker = await startServe({ ...sandbox, env, socketPath });
      expect((await call({ socketPath }, 'GET', '/v1/health')).json).toMatchObject({ status: 'ok' });
      expect(await broker.stop()).toBe(0);

      await chmod(real, 0o750);
      const refused = await runCli(['serve'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('chmod 700');
      expect(refused.stderr).not.toContain('a symlink?');
    },
  );
});
