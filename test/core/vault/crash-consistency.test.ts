/**
 * Crash consistency: a child rewrites the vault in a loop and is SIGKILLed at random moments,
 * over and over. After every kill the vault must open (stale lock taken over, leftover temp
 * files ignored) and hold exactly the generation the child had completed, or the one it was
 * writing — never anything older, newer, mixed or unreadable. The backup must hold the
 * generation before (or the same one, when the kill fell between backup and rename).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVault } from '../../../main/core/vault/index.js';
import { openSealedVault } from '../../../main/core/vault/format.js';
import { KEYCHAIN_SERVICE, keychainAccountFor } from '../../../main/core/vault/key-source.js';
import { decodePayload } from '../../../main/core/vault/payload.js';
import { counterSecrets, STATIC_ACCOUNTS, staticSecrets } from './support/crash-payload.js';
import { buildChildScript, cleanupDataDirs, keychain, removeChildScripts, REPO_ROOT, tempDataDir } from './support/helpers.js';

const KILLS = Number(process.env.TB_CRASH_KILLS ?? 200);
/** Kill delays after the child reported "ready": mostly inside the write loop, some right away. */
const MAX_DELAY_MS = 12;

interface Report {
  ready?: number;
  begun?: number;
  done?: number;
}

function parseReport(output: string): Report {
  const report: Report = {};
  for (const line of output.split('\n')) {
    const [word, value] = line.split(' ');
    if (word === 'ready' || word === 'begin' || word === 'done') report[word === 'begin' ? 'begun' : word] = Number(value);
  }
  return report;
}

/** Runs the writer, kills it `delayMs` after it is ready, and returns what it reported. */
async function runAndKill(script: string, dataDir: string, delayMs: number): Promise<Report> {
  const child = spawn(process.execPath, [script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  // 'close' fires after the process exited (reaped) and its pipes are drained.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready ')) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', () => reject(new Error(`writer exited before it was ready: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  await closed; // reaped: its pid is no longer alive, so its lock is stale
  return parseReport(stdout);
}

describe('crash consistency (SIGKILL during writes)', () => {
  let script: string;
  beforeAll(async () => {
    script = await buildChildScript(join(REPO_ROOT, 'test/core/vault/support/crash-writer.ts'));
  });
  afterAll(async () => {
    await cleanupDataDirs();
    await removeChildScripts();
  });

  it(`after each of ${KILLS} kills the vault holds exactly the previous or the new generation`, { timeout: 240_000 }, async () => {
    // Node's start-up dominates each round, so two independent data directories run side by side.
    const lanes = await Promise.all([killLoop(script, Math.ceil(KILLS / 2)), killLoop(script, Math.floor(KILLS / 2))]);
    const kills = lanes.reduce((sum, lane) => sum + lane.kills, 0);
    const killedMidWrite = lanes.reduce((sum, lane) => sum + lane.killedMidWrite, 0);
    expect(kills).toBe(KILLS);
    const landed = lanes.reduce((sum, lane) => sum + lane.newGenerationLanded, 0);
    console.info(`[crash] ${kills} SIGKILLs: ${killedMidWrite} during a write (${landed} of those after the rename had landed)`);
    // The kills must really have hit the write path, not only start-up or idle time.
    expect(killedMidWrite).toBeGreaterThan(KILLS / 4);
  });
});

/** One data directory: `count` rounds of start writer → random SIGKILL → open and check. */
async function killLoop(script: string, count: number): Promise<{ kills: number; killedMidWrite: number; newGenerationLanded: number }> {
  const dataDir = await tempDataDir();
  await (await openVault({ dataDir, secretStore: keychain })).close();
  let durable = 0;
  let killedMidWrite = 0;
  let newGenerationLanded = 0;

  for (let kill = 0; kill < count; kill += 1) {
    const delay = kill % 10 === 0 ? 0 : Math.random() * MAX_DELAY_MS;
    const report = await runAndKill(script, dataDir, delay);
    expect(report.ready, `kill ${kill}: the writer started from the last durable generation`).toBe(durable);
    const done = report.done ?? report.ready ?? 0;
    const begun = report.begun ?? done;
    if (begun > done) killedMidWrite += 1;

    const vault = await openVault({ dataDir, secretStore: keychain });
    try {
      const counter = vault.get('counter');
      const generation = counter?.tokens?.obtainedAt ?? 0;
      expect([done, begun], `kill ${kill}: vault holds generation ${generation}, child had done ${done} and begun ${begun}`).toContain(
        generation,
      );
      if (generation > 0) expect(counter).toEqual(counterSecrets(generation));
      if (begun > done && generation === begun) newGenerationLanded += 1;
      for (let index = 0; index < STATIC_ACCOUNTS; index += 1) expect(vault.get(`static-${index}`)).toEqual(staticSecrets(index));
      durable = generation;
    } finally {
      await vault.close();
    }
    await checkBackup(dataDir, durable);
  }
  return { kills: count, killedMidWrite, newGenerationLanded };
}

/** The backup decrypts and holds the generation before the current one (or the same). */
async function checkBackup(dataDir: string, current: number): Promise<void> {
  const backup = await readFile(join(dataDir, 'vault.bin.bak')).catch(() => undefined);
  if (backup === undefined) return;
  const encoded = await keychain.getPassword(KEYCHAIN_SERVICE, await keychainAccountFor(dataDir));
  const key = Buffer.from(encoded as string, 'base64');
  const accounts = decodePayload(openSealedVault(key, backup));
  const generation = accounts?.get('counter')?.tokens?.obtainedAt ?? 0;
  expect(generation).toBeLessThanOrEqual(current);
  expect(generation).toBeGreaterThanOrEqual(current - 1);
}
