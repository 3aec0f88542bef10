/**
 * The oidc-provider fixture in a worker thread. In the bench's own thread the fixture's work
 * for each refresh (several ms of oidc-provider request handling) ran on the same event loop as
 * the client that measures the broker, so that client's "wait" included the provider's CPU time
 * spent inside the client itself. A real provider is another machine; a worker keeps the
 * provider's work off the measuring loop (it still competes for the same two cores).
 */
import { Worker } from 'node:worker_threads';
import type { AuthServerOptions, FixtureClients } from '../../test/support/auth-server.js';

export interface FixtureInfo {
  issuer: string;
  clients: FixtureClients;
  user: { username: string; password: string };
}

export type FixtureCall =
  | { id: number; op: 'setTokenDelay'; ms: number }
  | { id: number; op: 'setAccessTokenTtl'; seconds: number }
  | { id: number; op: 'resetCounters' | 'tokenRequests' | 'close' };

export interface FixtureReply {
  id: number;
  tokenRequests?: Record<string, number>;
}

type CallInput = FixtureCall extends infer C ? (C extends FixtureCall ? Omit<C, 'id'> : never) : never;

export interface RemoteAuthServer extends FixtureInfo {
  setTokenDelay(ms: number): Promise<void>;
  setAccessTokenTtl(seconds: number): Promise<void>;
  resetCounters(): Promise<void>;
  /** Token endpoint requests so far, by grant_type. */
  tokenRequests(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * Starts a fixture in a worker. `workerUrl` is the bundled auth-server.worker entry (scripts/bench.mjs
 * bundles `bench/support/*.worker.ts` next to the benches).
 */
export async function startRemoteAuthServer(workerUrl: URL, options: AuthServerOptions = {}): Promise<RemoteAuthServer> {
  const worker = new Worker(workerUrl, { workerData: options });
  const info = await new Promise<FixtureInfo>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  let nextId = 1;
  const waiting = new Map<number, (reply: FixtureReply) => void>();
  worker.on('message', (reply: FixtureReply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  const call = (input: CallInput): Promise<FixtureReply> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      worker.postMessage({ ...input, id });
    });
  return {
    ...info,
    setTokenDelay: async (ms) => void (await call({ op: 'setTokenDelay', ms })),
    setAccessTokenTtl: async (seconds) => void (await call({ op: 'setAccessTokenTtl', seconds })),
    resetCounters: async () => void (await call({ op: 'resetCounters' })),
    tokenRequests: async () => (await call({ op: 'tokenRequests' })).tokenRequests ?? {},
    async close() {
      await call({ op: 'close' });
      await worker.terminate();
    },
  };
}
