/**
 * `token-broker login NAME [--no-browser] [--allow-other-user] [--username U --password-stdin]`
 *
 * After the sign-in it says who signed in. A sign-in as another user than the account's is refused
 * (the old tokens are kept) unless `--allow-other-user` says the switch is meant.
 *
 * The broker runs the sign-in and streams its progress as NDJSON; we print the URL (and user
 * code) for the person at the terminal and exit once it is done. Ctrl-C closes the request,
 * which cancels the sign-in in the broker, and exits 130 as an interrupted command does.
 */
import type { IncomingMessage } from 'node:http';
import type { LoginStreamLine } from '../../core/api/wire.js';
import { parse } from '../args.js';
import { ndjsonLines, openRequest, readJsonBody } from '../client-http.js';
import { apiError, describeApiError, seg } from '../client.js';
import { CliError, EXIT, EXIT_INTERRUPTED, exitCodeForApiError, usageError } from '../exit.js';
import { readStdin, stripTrailingNewline } from '../stdin.js';
import { escapeForTerminal } from '../output-safety.js';
import { identityDescription } from '../../shared/accounts.js';

/** The API's identity as the shared description: `alice (alice@example.com)`. */
function describeIdentity(identity: { sub: string; username: string | null; email: string | null }): string {
  return identityDescription({
    subject: identity.sub,
    ...(identity.username === null ? {} : { username: identity.username }),
    ...(identity.email === null ? {} : { email: identity.email }),
  });
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    'login',
    args,
    {
      'no-browser': { type: 'boolean', default: false },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      'allow-other-user': { type: 'boolean', default: false },
    },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const name = positionals[0] as string;
  if (values['password-stdin'] && values.username === undefined) throw usageError('--password-stdin needs --username.', 'login');
  if (values.username !== undefined && !values['password-stdin']) {
    throw usageError('--username needs --password-stdin (the password is read from stdin, never from the command line).', 'login');
  }
  const password = values['password-stdin'] ? stripTrailingNewline(await readStdin()) : undefined;
  return signIn(name, {
    noBrowser: values['no-browser'],
    allowOtherUser: values['allow-other-user'],
    client: 'token-broker login',
    ...(values.username === undefined ? {} : { username: values.username, password }),
  });
}

export interface SignInRequest {
  noBrowser: boolean;
  /** Accept a sign-in as another user than the account's (otherwise refused, `IDENTITY_CHANGED`). */
  allowOtherUser?: boolean;
  /** `X-Token-Broker-Client`. */
  client: string;
  username?: string;
  password?: string | undefined;
}

/**
 * Runs a sign-in in the broker and follows it to the end, telling the person at the terminal (on
 * stderr) what to open; without a display it prints the URL instead of opening a browser. Shared
 * by `login` and `kubectl-credential` (interactive sessions). Resolves with exit 0; throws
 * CliError when it fails or is cancelled (Ctrl-C).
 */
export async function signIn(name: string, request: SignInRequest): Promise<number> {
  const headless = request.noBrowser ? undefined : noDisplayReason(process.env, process.platform);
  if (headless !== undefined) process.stderr.write(`No display here (${headless}): not opening a browser; open the URL below yourself.\n`);

  const controller = new AbortController();
  const cancel = (): void => controller.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    const res = await openRequest('POST', `/v1/accounts/${seg(name)}/login`, {
      body: {
        noBrowser: request.noBrowser || headless !== undefined,
        ...(request.allowOtherUser === true ? { allow_other_user: true } : {}),
        ...(request.username === undefined ? {} : { username: request.username, password: request.password }),
      },
      client: request.client,
      signal: controller.signal,
      // A sign-in waits for a person (browser, device code): no idle timeout.
      timeoutMs: 0,
    });
    if (res.statusCode !== 200) throw apiError(res.statusCode ?? 0, await readJsonBody(res));
    return await followProgress(res, name, controller.signal, headless !== undefined);
  } catch (error) {
    if (controller.signal.aborted) throw cancelled(name);
    throw error;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}

function cancelled(name: string): CliError {
  return new CliError(`sign-in to ${name} cancelled`, EXIT_INTERRUPTED, 'CANCELLED');
}

/**
 * Why no browser can be opened for the person at this terminal, or undefined when one can: an SSH
 * session (the browser is on the other machine), or Linux without an X11 or Wayland display.
 */
export function noDisplayReason(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  if (nonEmpty(env.SSH_CONNECTION) || nonEmpty(env.SSH_TTY)) return 'an SSH session';
  if (platform === 'linux' && !nonEmpty(env.DISPLAY) && !nonEmpty(env.WAYLAND_DISPLAY)) return 'neither DISPLAY nor WAYLAND_DISPLAY is set';
  return undefined;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

/**
 * The loopback port the browser must reach, for the SSH tunnel hint: the one-shot start URL's own
 * port (the sign-in listener), or an authorization URL's redirect_uri port.
 */
function redirectPort(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const redirect =
      parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost' ? parsed : new URL(parsed.searchParams.get('redirect_uri') ?? '');
    return redirect.hostname === '127.0.0.1' || redirect.hostname === 'localhost' ? redirect.port || undefined : undefined;
  } catch {
    return undefined;
  }
}

async function followProgress(res: IncomingMessage, name: string, signal: AbortSignal, remote: boolean): Promise<number> {
  for await (const line of ndjsonLines<LoginStreamLine>(res)) {
    const done = handleLine(line, name, remote);
    if (done !== undefined) return done;
  }
  if (signal.aborted) throw cancelled(name);
  throw new CliError(`the broker closed the sign-in of ${name} without a result`);
}

/** Prints one progress line; returns the exit code once the sign-in has finished. */
function handleLine(line: LoginStreamLine, name: string, remote: boolean): number | undefined {
  const out = (text: string): boolean => process.stderr.write(text);
  if ('progress' in line) {
    const p = line.progress;
    // Provider data (the verification URI, the user code) is shown, never interpreted by the terminal.
    if (p.phase === 'waiting_for_browser') {
      out(
        `To sign in to ${name}, open this URL in a browser:\n${escapeForTerminal(p.url)}\n(It works once: if the page fails, start the sign-in again.)\n`,
      );
      const port = remote ? redirectPort(p.url) : undefined;
      if (port !== undefined) {
        out(
          `The provider sends the browser back to 127.0.0.1:${port} on the machine running the broker. From a browser on another machine, ` +
            `tunnel that port first (ssh -L ${port}:127.0.0.1:${port} THIS-HOST), or use an account with --grant device_code.\n`,
        );
      }
    } else if (p.phase === 'device_code') {
      out(
        `To sign in to ${name}, open this URL and enter the code below:\n${escapeForTerminal(p.verification_uri)}\nCode: ${escapeForTerminal(p.user_code)}\n`,
      );
      if (p.verification_uri_complete !== null)
        out(`(or open ${escapeForTerminal(p.verification_uri_complete)} to skip typing the code)\n`);
    }
    return undefined;
  }
  if ('result' in line) {
    // Who signed in: a sign-in someone else completed stands out here.
    const identity = line.account.identity;
    out(identity === null ? `Signed in to ${name}.\n` : `Signed in to ${name} as ${escapeForTerminal(describeIdentity(identity))}.\n`);
    return EXIT.ok;
  }
  if ('error' in line) {
    const e = line.error;
    throw new CliError(`sign-in to ${name} failed: ${describeApiError(e)}`, exitCodeForApiError(e.code), e.code);
  }
  // A line kind a newer broker added: nothing to print.
  return undefined;
}
