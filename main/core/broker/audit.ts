/**
 * The hand-out audit log: who got a token for which account, when, and with what outcome.
 * Never a token (entries have no field that could hold one, and client names are truncated).
 *
 * Kept in a bounded in-memory ring (what `auditLog()` answers from) and appended as JSON lines to
 * a 0600 file. In memory `at` is epoch ms (as everywhere in the core); in the file it is epoch
 * SECONDS with the milliseconds as a fraction, as on the API (README.md, "The socket"). Files
 * written before in ms are still read: the unit is told by magnitude ({@link toEpochMs}). File writes are batched off the hot path: `record()` only stores into the ring,
 * and a single writer takes every entry it has not written yet — one write in flight at a time on
 * a file descriptor kept open, and at most one write per {@link WRITE_INTERVAL_MS}. Under sustained
 * load batches grow instead of queueing; entries the ring would overwrite before the writer comes
 * are encoded first, so none is lost. The file is bounded: when the next line would take it past
 * `maxBytes` it is renamed to `<file>.1` (replacing the previous old file) and started anew, so
 * each holds at most `maxBytes`.
 *
 * The writer leaves nothing behind for the garbage collector to promote (issue 15): a batch is
 * encoded straight into one reused Buffer (each line string dies as soon as it is copied), the
 * write is a callback on the kept-open descriptor, and the write interval is one re-armed timer.
 * Before, a batch's line strings, their array and the write's promises lived until the thread-pool
 * write came back, outlived a scavenge under load and were promoted: ~90 bytes of old-space
 * garbage per hand-out, which grew the daemon's resident memory until the next full collection.
 */
import { chmodSync, close as closeFd, open as openFd, readFileSync, rename, statSync, write as writeFd } from 'node:fs';
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

/** Everything after `at` in a plain hand-out's line, and what it was encoded from. */
interface LineTail {
  account: string;
  client: string;
  outcome: string;
  text: string;
}

/**
 * The line tail last encoded for each caller. A caller is one object per connection, and a
 * connection asks for the same account under the same client name, so its lines differ only in
 * `at`: the rest is encoded once per connection instead of once per hand-out.
 */
const lineTails = new WeakMap<CallerInfo, LineTail>();

function tailOf(caller: CallerInfo, account: string, client: string, outcome: string): string {
  let tail = lineTails.get(caller);
  if (tail === undefined || tail.account !== account || tail.client !== client || tail.outcome !== outcome) {
    const text = `,"account":${JSON.stringify(account)},"client":${JSON.stringify(client)},"caller":${serializeCaller(caller)},"outcome":${JSON.stringify(outcome)}}\n`;
    tail = { account, client, outcome, text };
    lineTails.set(caller, tail);
  }
  return tail.text;
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
  if (caller !== undefined && code === undefined && kind === undefined && request === undefined) {
    return `{"at":${JSON.stringify(at / 1000)}${tailOf(caller, account, client, outcome)}`;
  }
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
/** First size of the batch buffer; it doubles when a batch needs more and keeps its size. */
const INITIAL_BATCH_BYTES = 16 * 1024;

/**
 * A growable byte buffer of whole lines, reused from batch to batch: `ends[i]` is where line `i`
 * ends. Cleared by setting `length` and `lines` to 0, so reuse allocates nothing.
 */
interface LineBuffer {
  bytes: Buffer;
  length: number;
  ends: number[];
  lines: number;
}

function lineBuffer(size: number): LineBuffer {
  return { bytes: Buffer.allocUnsafe(size), length: 0, ends: [], lines: 0 };
}

/** Appends `line` (UTF-8), growing the buffer when needed. */
function appendLine(into: LineBuffer, line: string): void {
  const worst = into.length + line.length * 3;
  if (worst > into.bytes.length) {
    const grown = Buffer.allocUnsafe(Math.max(worst, into.bytes.length * 2));
    into.bytes.copy(grown, 0, 0, into.length);
    into.bytes = grown;
  }
  into.length += into.bytes.write(line, into.length, 'utf8');
  into.ends[into.lines] = into.length;
  into.lines += 1;
}

function appendLines(into: LineBuffer, from: LineBuffer): void {
  if (from.lines === 0) return;
  const needed = into.length + from.length;
  if (needed > into.bytes.length) {
    const grown = Buffer.allocUnsafe(Math.max(needed, into.bytes.length * 2));
    into.bytes.copy(grown, 0, 0, into.length);
    into.bytes = grown;
  }
  from.bytes.copy(into.bytes, into.length, 0, from.length);
  for (let i = 0; i < from.lines; i += 1) into.ends[into.lines + i] = into.length + (from.ends[i] as number);
  into.length += from.length;
  into.lines += from.lines;
}

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
  // Entries the ring overwrote before the writer took them, already encoded (rare: a stalled disk).
  const spill = lineBuffer(0);
  // The batch being written: lines [line, batch.lines) are still to go; bytes up to `cursor` went.
  const batch = lineBuffer(file === undefined ? 0 : INITIAL_BATCH_BYTES);
  let line = 0;
  let cursor = 0;
  let sliceEnd = 0;
  let fd: number | undefined;
  let fileBytes = 0;
  let inFlight = false;
  let lastWriteAt = Number.NEGATIVE_INFINITY;
  let armed = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const idle: Array<() => void> = [];

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
        if (file !== undefined && !closed) appendLine(spill, lineAt(slot));
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
    return spill.lines > 0 || taken < recorded;
  }

  /**
   * Encodes everything not yet handed to the writer, oldest first, into the batch buffer. Lines a
   * burst would rotate out of both files before the batch ends are skipped.
   */
  function takeBatch(): void {
    batch.length = 0;
    batch.lines = 0;
    appendLines(batch, spill);
    spill.length = 0;
    spill.lines = 0;
    const first = recorded - count;
    for (let n = Math.max(taken, first); n < recorded; n += 1) appendLine(batch, lineAt((start + (n - first)) % capacity));
    taken = recorded;
    line = 0;
    while (line < batch.lines && batch.length - lineStart(line) > 2 * maxBytes) line += 1;
    cursor = lineStart(line);
    sliceEnd = cursor;
  }

  function lineStart(index: number): number {
    return index === 0 ? 0 : (batch.ends[index - 1] as number);
  }

  function fail(operation: string, error: NodeJS.ErrnoException | null): void {
    logger.warn(`[audit] could not ${operation} the audit file: ${error?.code ?? 'error'}`);
    if (fd !== undefined) closeFd(fd, () => undefined);
    fd = undefined;
    // The batch is dropped; the next one starts on a fresh descriptor.
    line = batch.lines;
  }

  /** Moves the writer on: open, rotate or write the next slice of the batch, or finish it. */
  function step(): void {
    if (file === undefined) return;
    if (line >= batch.lines) {
      inFlight = false;
      lastWriteAt = Date.now();
      if (!hasPending()) settleIdle();
      // A flush is waiting: no interval.
      else if (idle.length > 0) pump();
      else if (!closed) scheduleFlush();
      return;
    }
    inFlight = true;
    if (fd === undefined) {
      openFd(file, 'a', 0o600, onOpened);
      return;
    }
    if (cursor === sliceEnd) {
      // The next slice: as many whole lines as the file takes (at least one into an empty file).
      let end = line;
      while (end < batch.lines && fileBytes + ((batch.ends[end] as number) - cursor) <= maxBytes) end += 1;
      if (end === line && fileBytes > 0) {
        rotate();
        return;
      }
      sliceEnd = batch.ends[Math.max(end, line + 1) - 1] as number;
    }
    writeFd(fd, batch.bytes, cursor, sliceEnd - cursor, null, onWritten);
  }

  function onOpened(error: NodeJS.ErrnoException | null, opened: number): void {
    if (error !== null) fail('open', error);
    else fd = opened;
    step();
  }

  function onWritten(error: NodeJS.ErrnoException | null, written: number): void {
    if (error !== null) {
      fail('write', error);
    } else {
      cursor += written;
      fileBytes += written;
      // Only whole lines count as done; a short write continues where it stopped.
      while (line < batch.lines && (batch.ends[line] as number) <= cursor) line += 1;
    }
    step();
  }

  function rotate(): void {
    const current = fd as number;
    fd = undefined;
    closeFd(current, () => {
      rename(file as string, `${file as string}.1`, (error) => {
        if (error !== null) fail('rotate', error);
        fileBytes = 0;
        step();
      });
    });
  }

  function settleIdle(): void {
    for (const resolve of idle.splice(0)) resolve();
  }

  /** Starts a batch now if the writer is free and there is something to write. */
  function pump(): void {
    if (inFlight || file === undefined) return;
    if (!hasPending()) {
      settleIdle();
      return;
    }
    takeBatch();
    step();
  }

  function fire(): void {
    armed = false;
    pump();
  }

  function scheduleFlush(): void {
    if (armed || inFlight || file === undefined) return;
    armed = true;
    if (Date.now() - lastWriteAt >= WRITE_INTERVAL_MS) {
      setImmediate(fire).unref();
    } else if (timer === undefined) {
      // One timer for the daemon's life, re-armed with refresh(): never keeps a process alive.
      timer = setTimeout(fire, WRITE_INTERVAL_MS).unref();
    } else {
      timer.refresh();
    }
  }

  /** Resolves once everything recorded before the call (and during the drain) is written. */
  function flush(): Promise<void> {
    if (file === undefined || (!inFlight && !hasPending())) return Promise.resolve();
    return new Promise((resolve) => {
      idle.push(resolve);
      pump();
    });
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
      if (timer !== undefined) clearTimeout(timer);
      const current = fd;
      fd = undefined;
      if (current !== undefined) await new Promise<void>((resolve) => closeFd(current, () => resolve()));
    },
  };
}
