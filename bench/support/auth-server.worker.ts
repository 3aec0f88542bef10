/**
 * Worker-thread entry: runs one oidc-provider fixture (test/support/auth-server.ts) off the
 * bench's main thread. See remote-auth-server.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startAuthServer, type AuthServerOptions } from '../../test/support/auth-server.js';
import type { FixtureCall, FixtureInfo, FixtureReply } from './remote-auth-server.js';

const port = parentPort;
if (port === null) throw new Error('auth-server.worker must run in a worker thread');

const server = await startAuthServer(workerData as AuthServerOptions);
const info: FixtureInfo = { issuer: server.issuer, clients: server.clients, user: server.user };
port.postMessage(info);
port.on('message', (call: FixtureCall) => {
  void (async (): Promise<FixtureReply> => {
    switch (call.op) {
      case 'setTokenDelay':
        server.setTokenDelay(call.ms);
        return { id: call.id };
      case 'setAccessTokenTtl':
        server.setAccessTokenTtl(call.seconds);
        return { id: call.id };
      case 'resetCounters':
        server.resetCounters();
        return { id: call.id };
      case 'tokenRequests':
        return { id: call.id, tokenRequests: { ...server.tokenRequests } };
      case 'close':
        await server.close();
        return { id: call.id };
    }
  })().then((reply) => port.postMessage(reply));
});
