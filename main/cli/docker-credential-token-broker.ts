/**
 * `docker-credential-token-broker`: the docker credential helper (a second bin). docker, podman,
 * buildah and skopeo run it for registries their config sends to `token-broker` (`credHelpers`),
 * and get the access token of the broker account that lists the registry host
 * (`token-broker account add … --registry HOST`) as the password.
 *
 * It runs on every pull and push, so like `token-broker token` it is one CommonJS file holding
 * only the raw socket client (blocking libc calls on Linux) and the pure protocol module (no zod, got, jose or keytar, no ESM
 * loader, no chunks: scripts/esbuild-settings.mjs), reads stdin in one read, writes its answer
 * synchronously and exits as soon as it is written (issue 15).
 */
import { BROKER_VERSION } from '../core/version.js';
import type { RegistryCredentialBody, RegistryHostsBody } from '../core/api/wire.js';
import { getJson, preferBlockingExchange, queryString } from './client.js';
import {
  credentialsReply,
  errorReply,
  listReply,
  MISSING_SERVER_URL,
  notFoundReply,
  parseHelperAction,
  readServerUrl,
  refusalReply,
  usageReply,
  versionReply,
  type HelperReply,
} from './docker-credential.js';
import { CliError } from './exit.js';
import { writeOut } from './output.js';
import { readStdinAtOnce } from './stdin.js';

const CLIENT = 'docker-credential-token-broker';

async function get(serverUrl: string): Promise<HelperReply> {
  if (serverUrl === '') return errorReply(MISSING_SERVER_URL);
  try {
    const answer = await getJson<RegistryCredentialBody>(`/v1/registry/credential${queryString({ host: serverUrl })}`, {
      client: CLIENT,
    });
    return credentialsReply(serverUrl, answer.username, answer.access_token);
  } catch (error) {
    // No account lists this registry: the protocol's "not found", so the caller falls through
    // to its other credentials or anonymous access.
    if (error instanceof CliError && (error.code === 'ACCOUNT_NOT_FOUND' || error.code === 'INVALID_REQUEST')) return notFoundReply();
    throw error;
  }
}

export async function main(args: readonly string[]): Promise<HelperReply> {
  const action = parseHelperAction(args);
  try {
    switch (action) {
      case undefined:
        return usageReply(args);
      case 'version':
        return versionReply(BROKER_VERSION);
      case 'get':
        return await get(readServerUrl(await readStdinAtOnce()));
      case 'list':
        return listReply(await getJson<RegistryHostsBody>('/v1/registry/hosts', { client: CLIENT }));
      case 'store':
      case 'erase':
        // Read the request so the caller never sees a broken pipe.
        await readStdinAtOnce();
        return refusalReply(action);
    }
  } catch (error) {
    return errorReply(error instanceof Error ? error.message : String(error));
  }
}

// This process only asks the broker: its request may block the thread (blocking-exchange.ts).
preferBlockingExchange();
// Everything is written before the exit (the socket's close and Node's teardown would only cost time).
main(process.argv.slice(2)).then(
  (reply) => {
    writeOut(reply.stdout);
    process.exit(reply.exitCode);
  },
  (error: unknown) => {
    writeOut(errorReply(error instanceof Error ? error.message : String(error)).stdout);
    process.exit(1);
  },
);
