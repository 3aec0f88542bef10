/**
 * The real core the app runs on: the broker daemon (config, keychain-backed vault, broker, token
 * API), provider presets and discovery, in the shapes app.ts wires into the IPC handlers. Each
 * can be replaced through AppDeps.
 */
import { PRESETS, presetProvider } from '../core/accounts/presets.js';
import { startBrokerDaemon } from '../core/daemon.js';
import { resolveDataDir } from '../core/data-dir.js';
import { createHttpClient, discoverProvider } from '../core/oauth/index.js';
import type { DiscoveryCheck, PresetView } from '../ipc/contract.js';

export { presetProvider, resolveDataDir, startBrokerDaemon };

export const presets: readonly PresetView[] = PRESETS;

let http: ReturnType<typeof createHttpClient> | undefined;

/** OpenID Connect Discovery, then RFC 8414, for the account form's "check issuer" button. */
export async function discover(issuer: string): Promise<DiscoveryCheck> {
  http ??= createHttpClient();
  const metadata = await discoverProvider(issuer, http);
  return {
    issuer: metadata.issuer ?? issuer,
    tokenEndpoint: metadata.tokenEndpoint,
    ...(metadata.authorizationEndpoint === undefined ? {} : { authorizationEndpoint: metadata.authorizationEndpoint }),
    ...(metadata.deviceAuthorizationEndpoint === undefined ? {} : { deviceAuthorizationEndpoint: metadata.deviceAuthorizationEndpoint }),
    ...(metadata.revocationEndpoint === undefined ? {} : { revocationEndpoint: metadata.revocationEndpoint }),
  };
}
