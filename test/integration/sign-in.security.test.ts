/**
 * Sign-in against another local user (issue 10 items 1 and 3), with the real daemon, the
 * oidc-provider fixture (which knows a second person, mallory, the attacker's own account) and a
 * second uid through setpriv:
 *
 * - the URL the broker hands the browser sits in a command line every user can read; the other
 *   user opens it first and signs in as themselves — the victim must not end up signed in as them;
 * - a later sign-in that yields another subject is refused unless the person allows it;
 * - forged callbacks and a flood of idle connections to the loopback listener neither end the
 *   sign-in nor starve the daemon.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../support/auth-server.js';
import { completeLoginHttp } from '../support/login.js';
import { canActAsOtherUser, report, runAsOtherUser, startAsOtherUser } from '../support/other-user.js';
import { call } from '../core/api/support/http.js';
import { cliPath, createSandbox, runCli, startCli, startServe, type BrokerProcess, type Sandbox } from './support/cli.js';
import { URL_LINE } from './support/login-flow.js';

const MALLORY = { username: 'mallory', password: 'mallory-own-password' };

let server: AuthServer;
let sandbox: Sandbox;
let broker: BrokerProcess;
let fakeBin: string;

async function addCodeAccount(name: string): Promise<void> {
  const added = await runCli(
    [
      'account',
      'add',
      name,
      '--issuer',
      server.issuer,
      '--client-id',
      server.clients.public.clientId,
      '--auth',
      'none',
      '--grant',
      'authorization_code',
      '--scope',
      'openid profile email api',
    ],
    sandbox.env,
  );
  expect(added.code, added.stderr).toBe(0);
}

/** The subject the account's current access token belongs to, asked of the provider. */
async function subjectOf(name: string): Promise<string | undefined> {
  const token = await call({ socketPath: sandbox.socketPath }, 'GET', `/v1/accounts/${name}/token`);
  if (token.status !== 200) return undefined;
  const { access_token } = token.json as { access_token: string };
  return (await server.introspect(access_token)).sub as string | undefined;
}

/** `login NAME --no-browser [extra]`, completed in a "browser" as `who`; resolves with the CLI's result. */
async function loginAs(name: string, who: { username: string; password: string }, extra: string[] = []) {
  const running = await startCli(['login', name, '--no-browser', ...extra], sandbox.env);
  const [, url] = await running.waitForStderr(URL_LINE);
  await completeLoginHttp(url as string, who).catch(() => undefined);
  const { code } = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

/** Where the sign-in's loopback listener is, from the URL `login` printed. */
function loopbackOrigin(printed: string): string {
  const url = new URL(printed);
  const redirect = url.searchParams.get('redirect_uri');
  // The authorization URL names the listener in redirect_uri; a loopback start URL is the listener.
  return redirect === null ? url.origin : new URL(redirect).origin;
}

beforeAll(async () => {
  [server, sandbox] = await Promise.all([startAuthServer({ extraUsers: [MALLORY] }), createSandbox(), cliPath()]).then(
    ([a, b]) => [a, b] as const,
  );
  // The "browser": xdg-open on the daemon's PATH, which records the URL it was given and takes
  // its time to start (as a cold browser does) while the URL sits in its command line.
  fakeBin = join(sandbox.dir, 'browser-bin');
  await mkdir(fakeBin, { recursive: true });
  await writeFile(
    join(fakeBin, 'xdg-open'),
    `#!/bin/sh\nprintf '%s' "$1" > '${join(sandbox.dir, 'opened-url')}'\ni=0\nwhile [ ! -e '${join(sandbox.dir, 'go')}' ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n`,
    { mode: 0o755 },
  );
  broker = await startServe(sandbox, { PATH: `${fakeBin}:${process.env.PATH ?? '/usr/bin:/bin'}` });
});

afterAll(async () => {
  // Lets a fake browser still waiting exit.
  await writeFile(join(sandbox.dir, 'go'), '').catch(() => undefined);
  await broker?.stop();
  await server?.close();
  await sandbox?.cleanup();
});

describe.skipIf(!canActAsOtherUser())('1. sign-in hijack through command lines (needs root for a second uid)', () => {
  it('another user who opens the browser URL first and signs in as themselves does not sign the victim in', async () => {
    await addCodeAccount('victim');
    const attacker = startAsOtherUser('hijack-sign-in.mjs', [
      '--match',
      join(fakeBin, 'xdg-open'),
      '--username',
      MALLORY.username,
      '--password',
      MALLORY.password,
    ]);
    // A desktop session (no SSH, a display): the broker opens the browser itself.
    const login = await startCli(['login', 'victim'], { ...sandbox.env, DISPLAY: ':0', SSH_CONNECTION: '', SSH_TTY: '' });
    const found = report<{ found: string | null }>(await attacker.waitForLine(/"found"/));
    expect(found.found, 'the attacker should see the URL in the opener’s command line (the test relies on it)').not.toBeNull();
    const hijack = report<{ hijack: { hops: { url: string; status?: number }[]; status: number | null } }>(
      await attacker.waitForLine(/"hijack"/),
    );
    await attacker.stop();
    // Give a hijacked sign-in the moment it needs to finish.
    await Promise.race([login.exited, sleep(1500)]);
    const hijacked = login.child.exitCode === 0 && (await subjectOf('victim')) === MALLORY.username;
    expect(hijacked, `the victim was signed in as the attacker (attacker's hops: ${JSON.stringify(hijack.hijack.hops)})`).toBe(false);

    // The browser the broker started now loads the URL, as the person signs in as themselves.
    const opened = readFileSync(join(sandbox.dir, 'opened-url'), 'utf8');
    await writeFile(join(sandbox.dir, 'go'), '');
    expect(opened, 'the browser’s command line must not carry the authorization request').not.toMatch(/state=|code_challenge=|nonce=/);
    expect(opened.startsWith(server.issuer)).toBe(false);
    await completeLoginHttp(opened);
    const { code } = await login.exited;
    expect(code, login.stderr()).toBe(0);
    expect(await subjectOf('victim')).toBe(server.user.username);
    // The CLI says who signed in.
    expect(login.stderr()).toMatch(/Signed in to victim as alice\b/);
  });
});

describe('1. a later sign-in as another subject', () => {
  it('is refused unless --allow-other-user, keeping the old tokens, and every sign-in says who', async () => {
    await addCodeAccount('mine');
    const first = await loginAs('mine', server.user);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/Signed in to mine as alice \(alice@example\.test\)/);

    const other = await loginAs('mine', MALLORY);
    expect(other.code, other.stderr).not.toBe(0);
    expect(other.stderr).toContain('mallory');
    expect(other.stderr).toContain('alice');
    expect(other.stderr).toContain('--allow-other-user');
    expect(await subjectOf('mine'), 'the refused sign-in replaced the tokens').toBe('alice');

    const allowed = await loginAs('mine', MALLORY, ['--allow-other-user']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(/Signed in to mine as mallory\b/);
    expect(await subjectOf('mine')).toBe('mallory');
  });
});

describe('3. loopback callback abuse', () => {
  it.skipIf(!canActAsOtherUser())(
    'forged callbacks (wrong state, error with a wrong state) get a 400 page and do not end the sign-in',
    async () => {
      await addCodeAccount('forged');
      const running = await startCli(['login', 'forged', '--no-browser'], sandbox.env);
      const [, url] = await running.waitForStderr(URL_LINE);
      const origin = loopbackOrigin(url as string);

      const fromOtherUser = report<{ status?: number; body?: string }>(
        (await runAsOtherUser('http-get.mjs', [`${origin}/callback?state=forged&code=stolen`])).stdout.trim(),
      );
      expect([400, 403], JSON.stringify(fromOtherUser)).toContain(fromOtherUser.status);
      await sleep(200);
      expect(running.child.exitCode, `another user's forged callback ended the sign-in: ${running.stderr()}`).toBeNull();
      const sameUser = await fetch(`${origin}/callback?error=access_denied&state=wrong`);
      expect(sameUser.status).toBe(400);
      expect(await sameUser.text()).not.toContain('Signed in');
      await sleep(200);
      expect(running.child.exitCode, `a callback with the wrong state ended the sign-in: ${running.stderr()}`).toBeNull();

      await completeLoginHttp(url as string);
      const { code } = await running.exited;
      expect(code, running.stderr()).toBe(0);
    },
  );

  it.skipIf(!canActAsOtherUser())(
    'thousands of idle connections to the callback port neither exhaust the daemon nor stop the sign-in',
    async () => {
      await addCodeAccount('flooded');
      const running = await startCli(['login', 'flooded', '--no-browser'], sandbox.env);
      const [, url] = await running.waitForStderr(URL_LINE);
      const port = new URL(loopbackOrigin(url as string)).port;
      // A daemon with a modest descriptor limit, as on many desktops (ulimit -n 1024 or less).
      const limited = spawnSync('prlimit', [`--pid=${broker.child.pid}`, '--nofile=256:256']);
      expect(limited.status, limited.stderr.toString()).toBe(0);
      const flood = startAsOtherUser('flood.mjs', [port, '1500']);
      try {
        const counts = report<{ opened: number }>(await flood.waitForLine(/"opened"/, 60_000));
        expect(counts.opened).toBeGreaterThan(0);
        const fds = (await readdir(`/proc/${broker.child.pid}/fd`)).length;
        expect(fds, 'open descriptors in the daemon under the flood').toBeLessThan(200);
        const health = await Promise.race([
          call({ socketPath: sandbox.socketPath }, 'GET', '/v1/health').then((answer) => answer.status),
          sleep(3000).then(() => 'no answer within 3 s'),
        ]).catch((error: Error) => error.message);
        expect(health, 'the socket API under the flood').toBe(200);
        await completeLoginHttp(url as string);
        const { code } = await running.exited;
        expect(code, running.stderr()).toBe(0);
      } finally {
        await flood.stop();
        spawnSync('prlimit', [`--pid=${broker.child.pid}`, '--nofile=20000:20000']);
        if (running.child.exitCode === null) running.child.kill('SIGINT');
      }
    },
    90_000,
  );
});
