/**
 * The context row: a bare node:http server (no routing, no broker, no audit) answering a
 * token-shaped JSON body with the broker's headers, in its own process on a Unix socket, loaded by
 * the same client as the broker. Whatever the broker cannot beat on these cores, neither can this.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const SERVER_SOURCE = `
const { createServer } = require('node:http');
const body = JSON.stringify({ access_token: 'x'.repeat(43), token_type: 'Bearer', expires_at: 2000000000, expires_in: 3600, scope: 'api' });
const server = createServer({ headersTimeout: 10000, requestTimeout: 10000, keepAliveTimeout: 5000 }, (req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(process.argv[1], () => process.stdout.write('listening\\n'));
`;

export interface BareServer {
  child: ChildProcess;
  close(): Promise<void>;
}

/** Starts the bare server on `socketPath` (whose directory must exist) and waits until it listens. */
export async function startBareHttpServer(socketPath: string): Promise<BareServer> {
  const child = spawn(process.execPath, ['-e', SERVER_SOURCE, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare node:http server exited ${code}`)));
    child.stdout?.once('data', () => resolve());
  });
  return {
    child,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
