/**
 * A client that fetches every `intervalMs` over one keep-alive connection, in its own small
 * process, like a script polling the broker. The bench's main process has a large heap by then
 * (hundreds of thousands of recorded latencies, fixtures' traffic), and one of its major GCs
 * landing inside a request was timed as the broker's wait; a fresh process measures the broker.
 */
import { spawn } from 'node:child_process';

const CLIENT_SOURCE = `
const { connect } = require('node:net');
const [socketPath, path, durationMs, intervalMs] = process.argv.slice(1);
const request = Buffer.from('GET ' + path + ' HTTP/1.1\\r\\nHost: broker\\r\\nX-Token-Broker-Client: bench\\r\\nConnection: keep-alive\\r\\n\\r\\n');
let pending = Buffer.alloc(0);
let done;
const socket = connect(socketPath);
socket.on('data', (chunk) => {
  pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  const end = pending.indexOf('\\r\\n\\r\\n');
  if (end === -1) return;
  const m = /\\r\\ncontent-length: *(\\d+)/i.exec(pending.toString('latin1', 0, end));
  const total = end + 4 + (m ? Number(m[1]) : 0);
  if (pending.length < total) return;
  const status = Number(pending.toString('latin1', 9, 12));
  pending = pending.subarray(total);
  const resolve = done;
  done = undefined;
  resolve(status);
});
socket.on('error', (error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
const send = () => new Promise((resolve) => { done = resolve; socket.write(request); });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
socket.once('connect', async () => {
  await send();
  const latencies = [];
  let errors = 0;
  const end = performance.now() + Number(durationMs);
  while (performance.now() < end) {
    const t0 = performance.now();
    if ((await send()) !== 200) errors++;
    latencies.push(performance.now() - t0);
    await sleep(Number(intervalMs));
  }
  socket.destroy();
  process.stdout.write(JSON.stringify({ latencies, errors }));
});
`;

export interface PacedResult {
  latenciesMs: number[];
  errors: number;
}

export function runPacedClient(socketPath: string, path: string, durationMs: number, intervalMs: number): Promise<PacedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT_SOURCE, socketPath, path, String(durationMs), String(intervalMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`paced client exited ${code}`));
      const { latencies, errors } = JSON.parse(out) as { latencies: number[]; errors: number };
      resolve({ latenciesMs: latencies, errors });
    });
  });
}
