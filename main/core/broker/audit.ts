/**
 * The hand-out audit log: who got a token for which account, when, and with what outcome.
 * Never a token (entries have no field that could hold one, and client names are truncated).
 *
 * Kept in a bounded in-memory ring (what `auditLog()` answers from) and appended as JSON lines to
 * a 0600 file. In memory `at` is epoch ms (as everywhere in the core); in the file it is epoch
 * SECONDS with the milliseconds as a fraction, as on the API (README.md, "The socket"). Files
 * written before in ms are still read: the unit is told by magnitude ({@link toEpochMs}). File writes are batched off the hot path: `record()` only stores into the ring,
 * and a single writer takes every entry it has not written yet — one write in flight at a time on
 * a file handle kept open, and at most one write per {@link WRITE_INTERVAL_MS}. Under sustained
 * load batches grow instead of queueing; entries the ring would overwrite before the writer comes
 * are turned into lines first, so none is lost. The file is bounded: when the next
 * batch would take it past `maxBytes` it is renamed to `<file>.1` (replacing the previous old
 * file) and started anew, so each holds at most `maxBytes`.
 */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../ports.js';
import type { AuditEntry } from './types.js';
import type { CallerInfo } from '../../shared/caller.js';

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

const OUTCOMES: ReadonlySet<string> = new Set(['granted', 'denied', 'needs_login', 'error', 'refused']);
const KINDS: ReadonlySet<string> = new Set(['token', 'id_token', 'exchange', 'dpop_proof', 'proxy']);
const MAX_EXE_LENGTH = 4096;

/** What a proxied request or a DPoP proof adds to its entry (method, host, status; never a path or token). */
export type AuditRequest = Pick<AuditEntry, 'method' | 'host' | 'status'>;

/** The optional fields a broker adds to an entry beside the caller: absent on plain hand-outs. */
export type AuditDetails = Pick<AuditEntry, 'kind' | 'method' | 'host' | 'status'>;

/** The request fields of a file line, when it has any well-typed one. */
function parseRequest(value: Record<string, unknown>): AuditRequest | undefined {
  const { method, host, status } = value;
  const request: AuditRequest = {};
  if (typeof method === 'string' && method.length <= 32) request.method = method;
  if (typeof host === 'string' && host.length <= 300) request.host = host;
  if (typeof status === 'number' && Number.isInteger(status)) request.status = status;
  return request.method === undefined && request.host === undefined && request.status === undefined ? undefined : request;
}

/** The entry's request fields, or undefined for anything but a proxied request (no object kept then). */
function requestOf(entry: AuditEntry): AuditRequest | undefined {
  if (entry.method === undefined && entry.host === undefined && entry.status === undefined) return undefined;
  const request: AuditRequest = {};
  if (entry.method !== undefined) request.method = entry.method;
  if (entry.host !== undefined) request.host = entry.host;
  if (entry.status !== undefined) request.status = entry.status;
  return request;
}

/**
 * Epoch ms from a file's `at`: seconds (this version writes them) or ms (earlier versions). Any
 * time after 1973 in ms is above 1e11, and 1e11 seconds is the year 5138, so the two never meet.
 */
export function toEpochMs(at: number): number {
  return at < 1e11 ? Math.round(at * 1000) : at;
}

/** A caller read back from the file: only well-typed fields survive. */
function parseCaller(value: unknown): CallerInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { verified, uid, pid, exe } = value as Record<string, unknown>;
  if (typeof verified !== 'boolean') return undefined;
  const caller: CallerInfo = { verified };
  if (Number.isSafeInteger(uid)) caller.uid = uid as number;
  if (Number.isSafeInteger(pid)) caller.pid = pid as number;
  if (typeof exe === 'string' && exe.length <= MAX_EXE_LENGTH) caller.exe = exe;
  return caller;
}

/** Parses one audit line; anything that is not a well-formed entry is dropped. */
export function parseAuditLine(line: string): AuditEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { at, account, client, outcome, code, kind, caller } = value as Record<string, unknown>;
  if (typeof at !== 'number' || typeof account !== 'string' || typeof client !== 'string') return undefined;
  if (typeof outcome !== 'string' || !OUTCOMES.has(outcome)) return undefined;
  if (!Number.isFinite(at) || at < 0) return undefined;
  const entry: AuditEntry = { at: toEpochMs(at), account, client, outcome: outcome as AuditEntry['outcome'] };
  const parsedCaller = parseCaller(caller);
  if (parsedCaller !== undefined) entry.caller = parsedCaller;
  if (typeof code === 'string') entry.code = code;
  if (typeof kind === 'string' && KINDS.has(kind)) entry.kind = kind as NonNullable<AuditEntry['kind']>;
  const request = parseRequest(value as Record<string, unknown>);
  return request === undefined ? entry : Object.assign(entry, request);
}

/** Callers are one object per connection: each is serialized once, not once per line. */
const serializedCallers = new WeakMap<CallerInfo, string>();

function serializeCaller(caller: CallerInfo): string {
  let text = serializedCallers.get(caller);
  if (text === undefined) {
    // Field by field, so only the recorded fields are written whatever object was passed in.
    const uid = caller.uid === undefined ? '' : `,"uid":${caller.uid}`;
    const pid = caller.pid === undefined ? '' : `,"pid":${caller.pid}`;
    const exe = caller.exe === undefined ? '' : `,"exe":${JSON.stringify(caller.exe)}`;
    text = `{"verified":${caller.verified}${uid}${pid}${exe}}`;
    serializedCallers.set(caller, text);
  }
  return text;
}

/** One file line; `at` in epoch ms becomes epoch seconds (ms as the fraction). */
function serialize(
  at: number,
  account: string,
  client: string,
  caller: CallerInfo | undefined,
  outcome: string,
  code: string | undefined,
  kind: string | undefined,
  request: AuditRequest | undefined,
): string {
  // Same bytes as JSON.stringify of the entry object, without building one per line.
  const who = caller === undefined ? '' : `,"caller":${serializeCaller(caller)}`;
  const tail =
    (code === undefined ? '' : `,"code":${JSON.stringify(code)}`) +
    (kind === undefined ? '' : `,"kind":${JSON.stringify(kind)}`) +
    (request === undefined ? '' : `,${JSON.stringify(request).slice(1, -1)}`);
  return `{"at":${JSON.stringify(at / 1000)},"account":${JSON.stringify(account)},"client":${JSON.stringify(client)}${who},"outcome":${JSON.stringify(outcome)}${tail}}\n`;
}

/**
 * Least time between two file writes. Without it every turn of the event loop under load wrote
 * its own few lines (a thread-pool round trip each, ~20 µs of main-thread time per hand-out);
 * with it a busy broker makes ≤ 40 writes a second. A lone hand-out is still written at once.
 */
const WRITE_INTERVAL_MS = 25;

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const capacity = options.capacity ?? AUDIT_RING_CAPACITY;
  const maxBytes = options.maxBytes ?? AUDIT_MAX_BYTES;
  const { file, logger } = options;
  // Ring buffer as parallel arrays: slot `(start + i) % capacity` for i in [0, count). No object
  // per entry, so a hand-out leaves nothing behind that the GC must promote (the strings are the
  // caller's long-lived ones: the account's configured name, an interned client name).
  const ats = new Float64Array(capacity);
  const accounts = new Array<string>(capacity).fill('');
  const clients = new Array<string>(capacity).fill('');
  const outcomes = new Array<AuditEntry['outcome']>(capacity).fill('granted');
  const codes = new Array<string | undefined>(capacity).fill(undefined);
  // One object per connection (the API's), so storing it allocates nothing per hand-out.
  const callers = new Array<CallerInfo | undefined>(capacity).fill(undefined);
  const kinds = new Array<AuditEntry['kind']>(capacity).fill(undefined);
  // Only proxied requests carry these (one object each, made for the entry anyway).
  const requests = new Array<AuditRequest | undefined>(capacity).fill(undefined);
  let start = 0;
  let count = 0;
  // Entries are numbered in recording order; those numbered below `taken` went to the writer.
  let recorded = 0;
  let taken = 0;
  // Lines of entries the ring overwrote before the writer took them.
  let overflow: string[] = [];
  let fileBytes = 0;
  let handle: FileHandle | undefined;
  let tail: Promise<void> = Promise.resolve();
  let lastWriteAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let closed = false;

  function lineAt(slot: number): string {
    return serialize(
      ats[slot] as number,
      accounts[slot] as string,
      clients[slot] as string,
      callers[slot],
      outcomes[slot] as string,
      codes[slot],
      kinds[slot],
      requests[slot],
    );
  }

  function push(
    at: number,
    account: string,
    client: string,
    caller: CallerInfo | undefined,
    outcome: AuditEntry['outcome'],
    code: string | undefined,
    kind: AuditEntry['kind'],
    request: AuditRequest | undefined,
  ): void {
    let slot: number;
    if (count < capacity) {
      slot = (start + count) % capacity;
      count += 1;
    } else {
      slot = start;
      start = (start + 1) % capacity;
      // The oldest entry is about to be overwritten: keep its line if the writer has not taken it.
      if (taken < recorded - count + 1) {
        if (file !== undefined && !closed) overflow.push(lineAt(slot));
        taken = recorded - count + 1;
      }
    }
    ats[slot] = at;
    accounts[slot] = account;
    clients[slot] = client;
    outcomes[slot] = outcome;
    codes[slot] = code;
    callers[slot] = caller;
    kinds[slot] = kind;
    requests[slot] = request;
    recorded += 1;
  }

  function hasPending(): boolean {
    return overflow.length > 0 || taken < recorded;
  }

  /** Everything not yet handed to the writer, oldest first. */
  function takeLines(): string[] {
    const lines = overflow;
    overflow = [];
    const first = recorded - count;
    for (let n = Math.max(taken, first); n < recorded; n += 1) lines.push(lineAt((start + (n - first)) % capacity));
    taken = recorded;
    return lines;
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

  /** Writes what is pending after the write in flight (one at a time, on the kept-open handle). */
  function writeNext(): Promise<void> {
    tail = tail.then(async () => {
      const lines = takeLines();
      if (file === undefined || lines.length === 0) return;
      lastWriteAt = performance.now();
      await writeBatch(lines);
    });
    return tail;
  }

  function scheduleFlush(): void {
    if (timer !== undefined || file === undefined) return;
    const fire = (): void => {
      timer = undefined;
      void writeNext().then(() => {
        if (hasPending() && !closed) scheduleFlush();
      });
    };
    const delay = lastWriteAt + WRITE_INTERVAL_MS - performance.now();
    timer = delay <= 0 ? setImmediate(fire) : setTimeout(fire, delay);
    // Never keeps a process alive: close() and flush() write what is pending.
    timer.unref();
  }

  /** Resolves once everything recorded before the call (and during the drain) is written. */
  async function flush(): Promise<void> {
    await writeNext();
    while (hasPending()) await writeNext();
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
      for (const entry of loaded.slice(-capacity)) {
        push(entry.at, entry.account, entry.client, entry.caller, entry.outcome, entry.code, entry.kind, requestOf(entry));
      }
      taken = recorded;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn(`[audit] could not read the audit file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
  }

  load();

  return {
    record(entry) {
      push(
        entry.at,
        entry.account,
        sanitizeClientName(entry.client),
        entry.caller,
        entry.outcome,
        entry.code,
        entry.kind,
        requestOf(entry),
      );
      if (file === undefined || closed) taken = recorded;
      else scheduleFlush();
    },
    query(filter = {}) {
      const out: AuditEntry[] = [];
      const limit = filter.limit ?? count;
      for (let i = count - 1; i >= 0 && out.length < limit; i -= 1) {
        const slot = (start + i) % capacity;
        const account = accounts[slot] as string;
        const client = clients[slot] as string;
        if (filter.account !== undefined && account !== filter.account) continue;
        if (filter.client !== undefined && client !== filter.client) continue;
        const code = codes[slot];
        const entry: AuditEntry = { at: ats[slot] as number, account, client, outcome: outcomes[slot] as AuditEntry['outcome'] };
        const caller = callers[slot];
        if (caller !== undefined) entry.caller = { ...caller };
        if (code !== undefined) entry.code = code;
        const kind = kinds[slot];
        if (kind !== undefined) entry.kind = kind;
        const request = requests[slot];
        out.push(request === undefined ? entry : Object.assign(entry, request));
      }
      return out;
    },
    flush,
    async close() {
      await flush();
      closed = true;
      if (timer !== undefined) {
        clearTimeout(timer as NodeJS.Timeout);
        clearImmediate(timer as NodeJS.Immediate);
        timer = undefined;
      }
      await tail;
      await closeHandle();
    },
  };
}
