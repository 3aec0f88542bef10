/** Maps the fixture server's clients to the engine's ClientAuth. */
import type { AuthServer } from '../../../support/auth-server.js';
import type { ClientAuth } from '../../../../main/core/oauth/types.js';

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
