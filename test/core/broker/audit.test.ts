import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { createAuditLog, parseAuditLine, sanitizeClientName, toEpochMs } from '../../../main/core/broker/audit.js';
import { silentLogger } from '../../../main/core/ports.js';
import type { AuditEntry } from '../../../main/core/broker/types.js';

const temp = useTempDir('token-broker-audit-');

describe('audit log', () => {
  it('keeps a bounded ring, newest first, with filters', () => {
    const audit = createAuditLog({ logger: silentLogger, capacity: 3 });
    for (let i = 0; i < 5; i += 1) audit.record({ at: i, account: i % 2 === 0 ? 'a' : 'b', client: 'c', outcome: 'granted' });
    expect(audit.query().map((entry) => entry.at)).toEqual([4, 3, 2]);
    expect(audit.query({ account: 'a' }).map((entry) => entry.at)).toEqual([4, 2]);
    expect(audit.query({ limit: 1 }).map((entry) => entry.at)).toEqual([4]);
  });

  it('appends JSON lines to a 0600 file in batches and rotates past the size bound, keeping one old file', async () => {
    const file = join(temp.path, 'audit.log');
    const audit = createAuditLog({ file, logger: silentLogger, maxBytes: 1000 });
    for (let i = 0; i < 5; i += 1) audit.record({ at: i, account: 'acct', client: 'client', outcome: 'granted' });
    await audit.flush();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    for (let round = 0; round < 5; round += 1) {
      for (let i = 0; i < 5; i += 1)
        audit.record({ at: 100 + round * 10 + i, account: 'acct', client: 'client', outcome: 'denied', code: 'DENIED' });
      await audit.flush();
    }
    await audit.close();
    expect((await stat(file)).size).toBeLessThanOrEqual(1000);
    expect((await stat(`${file}.1`)).size).toBeLessThanOrEqual(1000);
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map(parseAuditLine);
    expect(lines.at(-1)).toEqual({ at: 144, account: 'acct', client: 'client', outcome: 'denied', code: 'DENIED' });
  });

  it('writes every entry, in order, even when the ring wraps many times before the file catches up', async () => {
    const file = join(temp.path, 'audit.log');
    const audit = createAuditLog({ file, logger: silentLogger, capacity: 3 });
    const T = 1_750_000_000_000;
    for (let i = 0; i < 25; i += 1) {
      audit.record({
        at: T + i,
        account: `acct-${i % 4}`,
        client: 'burst',
        outcome: i % 5 === 0 ? 'denied' : 'granted',
        ...(i % 5 === 0 ? { code: 'DENIED' } : {}),
      });
    }
    await audit.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((line) => parseAuditLine(line)?.at)).toEqual(Array.from({ length: 25 }, (_, i) => T + i));
    expect(parseAuditLine(lines[5] as string)).toEqual({
      at: T + 5,
      account: 'acct-1',
      client: 'burst',
      outcome: 'denied',
      code: 'DENIED',
    });
    // Plain JSON objects with the fields in this order; `at` in epoch seconds, as on the API.
    expect(lines[1]).toBe('{"at":1750000000.001,"account":"acct-1","client":"burst","outcome":"granted"}');
  });

  it('keeps both files bounded through a burst far larger than the bound', async () => {
    const file = join(temp.path, 'audit.log');
    const audit = createAuditLog({ file, logger: silentLogger, maxBytes: 1000 });
    for (let i = 0; i < 500; i += 1) audit.record({ at: i, account: 'acct', client: 'client', outcome: 'granted' });
    await audit.close();
    expect((await stat(file)).size).toBeLessThanOrEqual(1000);
    expect((await stat(`${file}.1`)).size).toBeLessThanOrEqual(1000);
    const last = (await readFile(file, 'utf8')).trim().split('\n').map(parseAuditLine).at(-1);
    expect(last?.at).toBe(499);
  });

  it('loads the tail of an existing file on start and drops malformed lines', async () => {
    const file = join(temp.path, 'audit.log');
    await writeFile(
      file,
      `{"at":1,"account":"a","client":"c","outcome":"granted"}\nnot json\n{"at":2,"account":"a","client":"c","outcome":"bogus"}\n`,
      { mode: 0o644 },
    );
    const audit = createAuditLog({ file, logger: silentLogger });
    // `at` in the file is epoch seconds: 1 s is 1000 ms in memory.
    expect(audit.query()).toEqual([{ at: 1000, account: 'a', client: 'c', outcome: 'granted' }]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await audit.close();
  });

  it('writes batches on its own: a lone entry at once, the next ones on the one re-armed timer', async () => {
    const file = join(temp.path, 'audit.log');
    const audit = createAuditLog({ file, logger: silentLogger });
    const lines = async (): Promise<number> => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const until = async (n: number): Promise<void> => {
      for (let waited = 0; (await lines()) < n; waited += 5) {
        if (waited > 5000) throw new Error(`the audit file never reached ${n} lines`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    audit.record({ at: 1, account: 'a', client: 'c', outcome: 'granted' });
    await until(1);
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 50; i += 1) audit.record({ at: 2 + round * 50 + i, account: 'a', client: 'c', outcome: 'granted' });
      await until(2 + round * 50 + 49);
    }
    await audit.close();
    const ats = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => parseAuditLine(line)?.at);
    expect(ats).toEqual(Array.from({ length: 151 }, (_, i) => i + 1));
  });

  it('reports an unwritable file by its error code and keeps the ring', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (line: string) => warnings.push(line) };
    const audit = createAuditLog({ file: join(temp.path, 'missing-dir', 'audit.log'), logger });
    audit.record({ at: 1, account: 'a', client: 'c', outcome: 'granted' });
    await audit.flush();
    await audit.close();
    expect(warnings).toEqual(['[audit] could not open the audit file: ENOENT']);
    expect(audit.query()).toHaveLength(1);
  });

  it('reads files written in milliseconds by earlier versions beside lines in seconds', async () => {
    const file = join(temp.path, 'audit.log');
    await writeFile(
      file,
      '{"at":1700000000123,"account":"old","client":"c","outcome":"granted"}\n{"at":1750000000.5,"account":"new","client":"c","outcome":"granted"}\n',
      { mode: 0o600 },
    );
    const audit = createAuditLog({ file, logger: silentLogger });
    expect(audit.query().map((e) => [e.account, e.at])).toEqual([
      ['new', 1_750_000_000_500],
      ['old', 1_700_000_000_123],
    ]);
    audit.record({ at: 1_760_000_000_250, account: 'next', client: 'c', outcome: 'granted' });
    await audit.close();
    expect((await readFile(file, 'utf8')).trim().split('\n').at(-1)).toBe(
      '{"at":1760000000.25,"account":"next","client":"c","outcome":"granted"}',
    );
    expect(toEpochMs(1760000000.25)).toBe(1_760_000_000_250);
    expect(toEpochMs(1_700_000_000_123)).toBe(1_700_000_000_123);
  });

  it("writes each caller's lines as JSON.stringify would, whatever the caller asks next (its line tail is encoded once and re-encoded on change)", async () => {
    const file = join(temp.path, 'audit.log');
    const audit = createAuditLog({ file, logger: silentLogger });
    const kubectl = { verified: true, uid: 1000, pid: 42, exe: '/usr/bin/kube"ctl' };
    const other = { verified: true, uid: 1000, pid: 43 };
    const entries: AuditEntry[] = [
      { at: 1_760_000_000_001, account: 'a', client: 'kubectl', caller: kubectl, outcome: 'granted' },
      { at: 1_760_000_000_002, account: 'a', client: 'kubectl', caller: kubectl, outcome: 'granted' },
      { at: 1_760_000_000_003, account: 'b', client: 'kubectl', caller: kubectl, outcome: 'granted' },
      { at: 1_760_000_000_004, account: 'b', client: 'kubectl', caller: other, outcome: 'granted' },
      { at: 1_760_000_000_005, account: 'b', client: 'renamed', caller: kubectl, outcome: 'granted' },
      { at: 1_760_000_000_006, account: 'b', client: 'renamed', caller: kubectl, outcome: 'needs_login', code: 'NEEDS_LOGIN' },
      { at: 1_760_000_000_007, account: 'b', client: 'renamed', caller: kubectl, outcome: 'denied' },
      { at: 1_760_000_000_008, account: 'b', client: 'renamed', caller: kubectl, outcome: 'granted', kind: 'id_token' },
      { at: 1_760_000_000_009, account: 'b', client: 'renamed', caller: kubectl, outcome: 'granted' },
      { at: 1_760_000_000_010, account: 'b', client: 'renamed', outcome: 'granted' },
    ];
    for (const entry of entries) audit.record(entry);
    await audit.close();
    expect((await readFile(file, 'utf8')).trim().split('\n')).toEqual(
      entries.map((entry) => JSON.stringify({ ...entry, at: entry.at / 1000 })),
    );
  });

  it('keeps client names short and printable', () => {
    expect(sanitizeClientName('a\nb\u0007')).toBe('a?b?');
    expect(sanitizeClientName('x'.repeat(500))).toHaveLength(128);
  });
});
