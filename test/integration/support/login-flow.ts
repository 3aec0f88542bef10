/** Drives `token-broker login --no-browser` to completion against the fixture. */
import { approveDeviceCode, completeLoginHttp, followStartUrl } from '../../support/login.js';
import type { AuthServer } from '../../support/auth-server.js';
import { startCli, type CliResult } from './cli.js';

/** The URL line `login` prints on stderr (a line of its own). */
export const URL_LINE = /^(https?:\/\/\S+)$/m;

export async function loginWithBrowser(
  name: string,
  env: NodeJS.ProcessEnv,
  opts: { deny?: boolean } = {},
): Promise<CliResult & { url: string }> {
  const running = await startCli(['login', name, '--no-browser'], env);
  const [, url] = await running.waitForStderr(URL_LINE);
  await completeLoginHttp(url as string, opts);
  const { code } = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr(), url: url as string };
}

export async function loginWithDeviceCode(name: string, env: NodeJS.ProcessEnv, server: AuthServer): Promise<CliResult & { url: string }> {
  const running = await startCli(['login', name, '--no-browser'], env);
  const [, url] = await running.waitForStderr(URL_LINE);
  const [, code] = await running.waitForStderr(/^Code: (\S+)$/m);
  await approveDeviceCode(server, code as string);
  const exit = await running.exited;
  return { code: exit.code, stdout: running.stdout(), stderr: running.stderr(), url: url as string };
}

/**
 * The implicit grant's browser side over plain HTTP: sign in, then do what the loopback relay
 * page's script does in a browser: load the page (the fragment never goes on the wire) and POST
 * the fragment back with the page's relay key.
 */
export async function loginImplicit(name: string, env: NodeJS.ProcessEnv): Promise<CliResult & { url: string }> {
  const running = await startCli(['login', name, '--no-browser'], env);
  const [, url] = await running.waitForStderr(URL_LINE);
  // The start URL sets the sign-in cookie that the relay page and its POST must carry.
  const started = await followStartUrl(url as string);
  const cookie: Record<string, string> = started.cookie === undefined ? {} : { cookie: started.cookie };
  const final = new URL(await completeLoginHttp(started.url, { deliver: false }));
  const fragment = final.hash.slice(1);
  final.hash = '';
  const page = await (await fetch(final, { headers: cookie })).text();
  const relayKey = /'x-token-broker-relay': ("[^"]+")/.exec(page)?.[1];
  if (relayKey === undefined) throw new Error(`no relay page at ${final.href}:\n${page.slice(0, 500)}`);
  const relayed = await fetch(final, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-token-broker-relay': JSON.parse(relayKey) as string, ...cookie },
    body: fragment,
  });
  if (!relayed.ok)
    throw new Error(
      `relay POST failed: HTTP ${relayed.status}: ${await relayed.text()} (fragment keys: ${[...new URLSearchParams(fragment).keys()].join(',')})`,
    );
  const { code } = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr(), url: url as string };
}
