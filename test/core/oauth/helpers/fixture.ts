/** The fixture server as the OAuth engine sees it: its clients as ClientAuth, its discovered metadata. */
import type { AuthServer } from '../../../support/auth-server.js';
import { useFixture } from '../../../support/fixtures.js';
import { discoverProvider, type HttpClient, type ProviderMetadata } from '../../../../main/core/oauth/index.js';
import type { ClientAuth } from '../../../../main/core/oauth/types.js';

/** The server's metadata, discovered once for the file (or describe) through the real client. */
export function useProviderMetadata(server: AuthServer, http: HttpClient): ProviderMetadata {
  return useFixture({ name: 'useProviderMetadata()', scope: 'file', setup: () => discoverProvider(server.issuer, http) });
}

export type FixtureClientName = 'basic' | 'post' | 'jwt' | 'public';

export function clientAuthFor(server: AuthServer, name: FixtureClientName): ClientAuth {
  const clients = server.clients;
  switch (name) {
    case 'basic':
      return { method: 'client_secret_basic', ...clients.basic };
    case 'post':
      return { method: 'client_secret_post', ...clients.post };
    case 'jwt':
      return {
        method: 'private_key_jwt',
        clientId: clients.jwt.clientId,
        privateKeyPem: clients.jwt.privateKeyPem,
        keyId: clients.jwt.keyId,
      };
    case 'public':
      return { method: 'none', clientId: clients.public.clientId };
  }
}
