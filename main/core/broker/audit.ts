/**
 * The hand-out audit log: who got a token for which account, when, and with what outcome.
 * Never a token (entries have no field that could hold one, and client names are truncated).
 *
 * Kept in a bounded in-memory ring (what `auditLog()` answers from) and appended as JSON lines to
 * a 0600 file. File writes are batched off the hot path: `record()` only pushes to arrays, and a
 * single writer drains them — one write in flight at a time on a file handle kept open, taking
 * everything recorded while the previous write ran. Under sustained load batches grow instead of
 * queueing, so memory stays bounded by what one write takes. The file is bounded: when the next
 * batch would take it past `maxBytes` it is renamed to `<file>.1` (replacing the previous old
 * file) and started anew, so each holds at most `maxBytes`.
 */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../ports.js';
import type { AuditEntry } from './types.js';

export const AUDIT_RING_CAPACITY = 1000;
export const AUDIT_MAX_BYTES = 1024 * 1024;
const MAX_CLIENT_LENGTH = 128;

export interface AuditFilter {
  account?: string;
  client?: string;
  limit?: number;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
  /** Newest first, at most `limit` (default: all in memory). */
  query(filter?: AuditFilter): AuditEntry[];
  /** Writes everything recorded so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  file?: string;
  logger: Logger;
  capacity?: number;
  maxBytes?: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Client names come from an untrusted header: keep them short and printable. */
export function sanitizeClientName(client: string): string {
  if (client.length <= MAX_CLIENT_LENGTH && !CONTROL_CHARS.test(client)) return client;
  // eslint-disable-next-line no-control-regex
  const printable = client.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > MAX_CLIENT_LENGTH ? printable.slice(0, MAX_CLIENT_LENGTH) : printable;
}

const OUTCOMES: ReadonlySet<string> = new Set(['granted', 'denied', 'needs_login', 'error']);

/** Parses one audit line; anything that is not a well-formed entry is dropped. */
export function parseAuditLine(line: string): AuditEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { at, account, client, outcome, code } = value as Record<string, unknown>;
  if (typeof at !== 'number' || typeof account !== 'string' || typeof client !== 'string') return undefined;
  if (typeof outcome !== 'string' || !OUTCOMES.has(outcome)) return undefined;
  const entry: AuditEntry = { at, account, client, outcome: outcome as AuditEntry['outcome'] };
  if (typeof code === 'string') entry.code = code;
  return entry;
}

function serialize(entry: AuditEntry): string {
  return `${JSON.stringify({ at: entry.at, account: entry.account, client: entry.client, outcome: entry.outcome, ...(entry.code === undefined ? {} : { code: entry.code }) })}\n`;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const capacity = options.capacity ?? AUDIT_RING_CAPACITY;
  const maxBytes = options.maxBytes ?? AUDIT_MAX_BYTES;
  const { file, logger } = options;
  // Ring buffer: `ring[(start + i) % capacity]` for i in [0, count).
  const ring: AuditEntry[] = new Array<AuditEntry>(capacity);
  let start = 0;
  let count = 0;
  let pending: string[] = [];
  let fileBytes = 0;
  let handle: FileHandle | undefined;
  let draining: Promise<void> | undefined;
  let flushScheduled = false;
  let closed = false;

  function push(entry: AuditEntry): void {
    if (count < capacity) {
      ring[(start + count) % capacity] = entry;
      count += 1;
    } else {
      ring[start] = entry;
      start = (start + 1) % capacity;
    }
  }

  async function append(path: string, chunk: string): Promise<void> {
    handle ??= await open(path, 'a', 0o600);
    await handle.write(chunk);
  }

  async function closeHandle(): Promise<void> {
    const current = handle;
    handle = undefined;
    await current?.close();
  }

  async function writeBatch(lines: string[]): Promise<void> {
    if (file === undefined || lines.length === 0) return;
    // Lines a burst would rotate out of both files before the batch ends are not written at all.
    let first = lines.length;
    let kept = 0;
    while (first > 0) {
      const size = Buffer.byteLength(lines[first - 1] as string);
      if (kept + size > 2 * maxBytes) break;
      kept += size;
      first -= 1;
    }
    let chunk = '';
    let chunkBytes = 0;
    try {
      for (let i = first; i < lines.length; i += 1) {
        const line = lines[i] as string;
        const size = Buffer.byteLength(line);
        if (fileBytes + chunkBytes + size > maxBytes) {
          if (chunkBytes > 0) await append(file, chunk);
          fileBytes += chunkBytes;
          chunk = '';
          chunkBytes = 0;
          if (fileBytes > 0) {
            await closeHandle();
            await rename(file, `${file}.1`);
            fileBytes = 0;
          }
        }
        chunk += line;
        chunkBytes += size;
      }
      if (chunkBytes > 0) await append(file, chunk);
      fileBytes += chunkBytes;
    } catch (error) {
      await closeHandle().catch(() => undefined);
      logger.warn(`[audit] could not write the audit file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }

  function scheduleFlush(): void {
    if (flushScheduled || file === undefined) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      void flush();
    });
  }

  /** Resolves once everything recorded before the call (and during the drain) is written. */
  function flush(): Promise<void> {
    draining ??= (async () => {
      try {
        while (pending.length > 0) {
          const lines = pending;
          pending = [];
          await writeBatch(lines);
        }
      } finally {
        draining = undefined;
      }
    })();
    return draining;
  }

  /**
   * Loads the file's tail into the ring. Synchronous, once, at start: the file is bounded
   * (≤ maxBytes), and `auditLog()` must show the previous run's entries from the first call.
   */
  function load(): void {
    if (file === undefined) return;
    try {
      const info = statSync(file);
      fileBytes = info.size;
      if ((info.mode & 0o077) !== 0) chmodSync(file, 0o600);
      const loaded = readFileSync(file, 'utf8')
        .split('\n')
        .map(parseAuditLine)
        .filter((entry): entry is AuditEntry => entry !== undefined);
      for (const entry of loaded.slice(-capacity)) push(entry);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn(`[audit] could not read the audit file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
  }

  load();

  return {
    record(entry) {
      const client = sanitizeClientName(entry.client);
      const clean: AuditEntry = client === entry.client ? entry : { ...entry, client };
      push(clean);
      if (file !== undefined && !closed) {
        pending.push(serialize(clean));
        scheduleFlush();
      }
    },
    query(filter = {}) {
      const out: AuditEntry[] = [];
      const limit = filter.limit ?? count;
      for (let i = count - 1; i >= 0 && out.length < limit; i -= 1) {
        const entry = ring[(start + i) % capacity] as AuditEntry;
        if (filter.account !== undefined && entry.account !== filter.account) continue;
        if (filter.client !== undefined && entry.client !== filter.client) continue;
        out.push(entry);
      }
      return out;
    },
    flush,
    async close() {
      await flush();
      closed = true;
      await closeHandle();
    },
  };
}
