/**
 * One call per process (issue 15): `token-broker token`, `kubectl-credential`, `git-credential`
 * and — once it exists — the docker credential helper, each from exec to exit against a running
 * `serve`, next to `node -e 0` (the runtime's own start, the floor no Node program beats), and
 * `curl --unix-socket` for hot loops. Runs are interleaved so a burst of load on the machine
 * hits every command alike, and a command's cost over node is the median of its differences to
 * the `node -e 0` run of the same round (robust against the load drifting during the bench);
 * stdout goes to a pipe as in `TOKEN=$(…)`.
 *
 * NODE_EXTRA_CA_CERTS is removed from the children's environment, for `node -e 0` and the CLI
 * alike: when set, every node process parses that CA bundle at start (~100 ms on these machines
 * with the system bundle), which buries the difference being measured in noise. None of these
 * commands makes a TLS connection.
 *
 *   BENCH_CLI_RUNS (default 41)
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cliPath, createSandbox, startServe, type BrokerProcess } from '../test/integration/support/cli.js';
import { addAccount, fetchJson, keyringEnv, wallMs } from './support/broker.js';
import { startRemoteAuthServer } from './support/remote-auth-server.js';
import { median, percentile, round } from './support/stats.js';
import type { BenchRow } from './types.js';

const FIXTURE_WORKER = new URL('./support/auth-server.worker.mjs', import.meta.url);

/**
 * The least a Node client can do for one token: a CommonJS script that connects to the socket,
 * sends one GET, prints the token and exits — no argument parsing, no error handling, no
 * broker code. Its cost over `node -e 0` is the floor under the CLI's own on this machine, so
 * the table shows how much of the CLI's cost is ours and how much is Node's.
 */
const MINIMAL_CLIENT = `const fs = require('node:fs');
const socket = require('node:net').connect(process.argv[2]);
let text = '';
socket.setEncoding('utf8');
socket.on('connect', () => socket.write('GET /v1/accounts/b/token HTTP/1.1\\r\\nHost: broker\\r\\nConnection: close\\r\\n\\r\\n'));
socket.on('data', (chunk) => (text += chunk));
socket.on('end', () => {
  const body = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
  fs.writeSync(1, body.access_token + '\\n');
  process.exit(0);
});
`;
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 41);
/** The goal of issue 15: one call costs at most this much more than starting node. */
const BUDGET_MS = 10;
const GIT_HOST = 'git.bench.test';
const REGISTRY_HOST = 'registry.bench.test';

interface Command {
  label: string;
  file: string;
  args: string[];
  stdin?: string;
  /** Compared with `node -e 0` against the budget; otherwise informational. */
  budget: boolean;
}

/** The docker credential helper's entry when the package declares one (issue 11 adds it). */
async function dockerHelper(cli: string): Promise<string | undefined> {
  const root = join(dirname(cli), '..', '..');
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  const entry = pkg.bin?.['docker-credential-token-broker'];
  return entry === undefined ? undefined : join(root, entry);
}

export default async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const [fixture, sandbox, cli] = await Promise.all([startRemoteAuthServer(FIXTURE_WORKER), createSandbox(), cliPath()]);
  let broker: BrokerProcess | undefined;
  try {
    broker = await startServe(sandbox, await keyringEnv(sandbox));
    const docker = await dockerHelper(cli);
    await addAccount(sandbox, 'b', fixture, 'client_credentials', [
      '--git-host',
      GIT_HOST,
      ...(docker === undefined ? [] : ['--registry', REGISTRY_HOST]),
    ]);
    await fetchJson(sandbox.socketPath, '/v1/accounts/b/token');

    const env = { ...sandbox.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const node = process.execPath;
    const commands: Command[] = [
      { label: '`node -e 0`', file: node, args: ['-e', '0'], budget: false },
      { label: '`token-broker token b`', file: node, args: [cli, 'token', 'b'], budget: true },
      { label: '`token-broker kubectl-credential b`', file: node, args: [cli, 'kubectl-credential', 'b'], budget: true },
      {
        label: '`token-broker git-credential get`',
        file: node,
        args: [cli, 'git-credential', 'get'],
        stdin: `protocol=https\nhost=${GIT_HOST}\n\n`,
        budget: true,
      },
    ];
    if (docker !== undefined) {
      commands.push({
        label: '`docker-credential-token-broker get`',
        file: node,
        args: [docker, 'get'],
        stdin: `${REGISTRY_HOST}\n`,
        budget: true,
      });
    }
    const minimal = join(sandbox.dir, 'minimal-client.cjs');
    await writeFile(minimal, MINIMAL_CLIENT);
    commands.push({
      label: 'minimal Node client (the floor: connect, GET, print; CommonJS, no broker code)',
      file: node,
      args: [minimal, sandbox.socketPath],
      budget: false,
    });
    const curl = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
    if (curl !== '') {
      commands.push({
        label: '`curl -s --unix-socket $SOCK http://broker/v1/accounts/b/token` (hot loops)',
        file: curl,
        args: ['-sf', '--unix-socket', sandbox.socketPath, 'http://broker/v1/accounts/b/token'],
        budget: false,
      });
    }

    // One unmeasured round first: page cache, the broker's JIT for each route.
    for (const command of commands) await wallMs(command.file, command.args, env, command.stdin);
    const times = commands.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) {
      for (const [j, command] of commands.entries()) times[j]?.push(await wallMs(command.file, command.args, env, command.stdin));
    }
    const nodeTimes = times[0] as number[];
    for (const [j, command] of commands.entries()) {
      const own = times[j] as number[];
      const ms = median(own);
      // Paired: each run against the `node -e 0` of its own round.
      const over = median(own.map((t, i) => t - (nodeTimes[i] as number)));
      const label = command.file === node && j > 0 ? ` (+${round(over, 1)} ms over node, median of paired runs)` : '';
      rows.push({
        name: `one call per process: ${command.label}${label}, ${RUNS} runs, NODE_EXTRA_CA_CERTS unset`,
        median: round(ms, 1),
        p99: round(percentile(own, 99), 1),
        unit: 'ms',
        target: command.budget ? `≤ node -e 0 + ${BUDGET_MS} ms` : '—',
        pass: command.budget ? over <= BUDGET_MS : null,
      });
    }
  } finally {
    await broker?.stop();
    await fixture.close();
    await sandbox.cleanup();
  }
  return rows;
}
