/** The pending-connection budget on real sockets: floods evict their own oldest, admitted clients stay. */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionBudget, type ConnectionBudget } from '../../../main/core/net/connection-budget.js';

let server: Server | undefined;
let budget: ConnectionBudget | undefined;
const clients: Socket[] = [];
const serverSides: Socket[] = [];

afterEach(async () => {
  for (const socket of [...clients.splice(0), ...serverSides.splice(0)]) socket.destroy();
  budget?.close();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

async function listen(options: { maxPending: number; admitWithinMs: number }, onConnection?: (socket: Socket) => void) {
  const created = createConnectionBudget(options);
  budget = created;
  const accepted: Socket[] = [];
  server = createServer((socket) => {
    created.track(socket);
    accepted.push(socket);
    serverSides.push(socket);
    onConnection?.(socket);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { budget: created, accepted, port: (server.address() as { port: number }).port };
}

/** Opens a client and resolves once the server has accepted it. */
async function open(port: number, accepted: Socket[]): Promise<{ client: Socket; closed: Promise<void> }> {
  const before = accepted.length;
  const client = connect(port, '127.0.0.1');
  clients.push(client);
  client.on('error', () => {});
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await new Promise((resolve) => client.once('connect', resolve));
  while (accepted.length === before) await new Promise((resolve) => setImmediate(resolve));
  return { client, closed };
}

describe('connection budget', () => {
  it('at the limit, a new connection evicts the oldest pending one', async () => {
    const { budget: b, accepted, port } = await listen({ maxPending: 3, admitWithinMs: 60_000 });
    const first = await open(port, accepted);
    await open(port, accepted);
    await open(port, accepted);
    expect(b.pending).toBe(3);
    await open(port, accepted);
    await first.closed;
    expect(b.pending).toBe(3);
  });

  it('admitted connections are never evicted and do not count', async () => {
    const { budget: b, accepted, port } = await listen({ maxPending: 2, admitWithinMs: 60_000 });
    const honest = await open(port, accepted);
    b.admit(accepted[0] as Socket);
    for (let i = 0; i < 10; i += 1) await open(port, accepted);
    expect(b.pending).toBe(2);
    expect(honest.client.destroyed).toBe(false);
    honest.client.write('still here');
  });

  it('a pending connection that is not admitted in time is closed', async () => {
    const { budget: b, accepted, port } = await listen({ maxPending: 10, admitWithinMs: 50 });
    const idle = await open(port, accepted);
    await idle.closed;
    expect(b.pending).toBe(0);
  });

  it('a connection that closes by itself leaves the budget', async () => {
    const { budget: b, accepted, port } = await listen({ maxPending: 10, admitWithinMs: 60_000 });
    const gone = await open(port, accepted);
    gone.client.destroy();
    while (b.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(b.pending).toBe(0);
  });
});
