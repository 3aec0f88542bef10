/**
 * The docker credential helper protocol, pure: what `docker-credential-token-broker` reads and
 * prints. docker, podman, buildah and skopeo run `docker-credential-<name> <action>` for hosts
 * their config sends to `<name>` (`credHelpers`), write the request on stdin and read the
 * answer on stdout.
 *
 * - `get`: stdin is the server URL (usually the bare host, `registry.example.com[:port]`);
 *   stdout `{"ServerURL","Username","Secret"}`.
 * - `list`: stdout `{"<server URL>": "<username>", …}`.
 * - `store` (stdin `{"ServerURL","Username","Secret"}`, after `docker login`) and `erase` (stdin
 *   the server URL, on `docker logout`): refused — the broker owns these credentials.
 * - Errors are printed on **stdout** with exit status 1 (docker-credential-helpers' `Serve`).
 *   The exact text `credentials not found in native keychain` tells the caller there is no
 *   entry, so it falls through (anonymous access, or its other credentials) instead of failing.
 *
 * @see https://github.com/docker/docker-credential-helpers (credentials/credentials.go, credentials/error.go)
 * @see https://docs.docker.com/reference/cli/docker/login/#credential-helper-protocol
 */

import { escapeForTerminal, safeJsonStringify } from './output-safety.js';

/** docker-credential-helpers' `errCredentialsNotFoundMessage`, matched verbatim by every client. */
export const CREDENTIALS_NOT_FOUND = 'credentials not found in native keychain';
/** docker-credential-helpers' `errCredentialsMissingServerURLMessage`. */
export const MISSING_SERVER_URL = 'no credentials server URL';

export const HELPER_NAME = 'docker-credential-token-broker';
export const HELPER_ACTIONS = ['get', 'list', 'store', 'erase', 'version'] as const;
export type HelperAction = (typeof HELPER_ACTIONS)[number];

/** What the helper prints on stdout and the status it exits with. */
export interface HelperReply {
  stdout: string;
  exitCode: 0 | 1;
}

export const USAGE = `Usage: ${HELPER_NAME} <get|list|store|erase|version>\n`;

/** The action named by the first argument, or undefined (usage error) when none or unknown. */
export function parseHelperAction(args: readonly string[]): HelperAction | undefined {
  const [action] = args;
  return (HELPER_ACTIONS as readonly string[]).includes(action ?? '') ? (action as HelperAction) : undefined;
}

/** The reply to a missing or unknown action (exit 1, as docker-credential-helpers does). */
export function usageReply(args: readonly string[]): HelperReply {
  const action = args[0];
  return { stdout: action === undefined ? USAGE : `Unknown credential action \`${action.slice(0, 40)}\`\n${USAGE}`, exitCode: 1 };
}

/** The server URL of a `get` (or `erase`) request: stdin with surrounding whitespace trimmed. */
export function readServerUrl(stdin: string): string {
  return stdin.trim();
}

/** An error as the protocol carries it: the message on stdout, exit 1. One line. */
export function errorReply(message: string): HelperReply {
  // Messages may quote the broker or a provider: no control character reaches the caller raw.
  return { stdout: `${escapeForTerminal(message.replace(/\s*\n\s*/g, ' ').trim())}\n`, exitCode: 1 };
}

/** "No credentials for this host": the caller falls through to its other sources. */
export function notFoundReply(): HelperReply {
  return errorReply(CREDENTIALS_NOT_FOUND);
}

/** The answer to `get`: the server URL as asked, the account's registry username, and the access token. */
export function credentialsReply(serverUrl: string, username: string, secret: string): HelperReply {
  return { stdout: `${safeJsonStringify({ ServerURL: serverUrl, Username: username, Secret: secret })}\n`, exitCode: 0 };
}

/** The answer to `list`: registry host → username. */
export function listReply(entries: Readonly<Record<string, string>>): HelperReply {
  return { stdout: `${safeJsonStringify(entries)}\n`, exitCode: 0 };
}

/** `store` and `erase` are refused: the broker signs in and renews on its own. */
export function refusalReply(action: 'store' | 'erase'): HelperReply {
  return errorReply(
    action === 'store'
      ? 'token-broker does not store registry passwords: the registry gets a fresh access token from the broker account that lists this host (token-broker account add ... --registry HOST); sign in with token-broker login ACCOUNT instead of docker login'
      : 'token-broker does not erase registry credentials: sign out with token-broker logout ACCOUNT, or remove the host from the account',
  );
}

export function versionReply(version: string): HelperReply {
  return { stdout: `${HELPER_NAME} (Token Broker) ${version}\n`, exitCode: 0 };
}
