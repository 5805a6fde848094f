import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readFile, rename, rm, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { StorageError } from "../config/errors.js";
import { type Data, dataProblem } from "../core/data.js";
import { syncDirectory } from "../storage/file/atomic-write.js";

/*
 * The durable pending-message journal: an append-only log that makes an
 * accepted message survive `kill -9` (and power loss) before the node
 * acknowledges it.
 *
 * Format: one record per line, every line ending in "\n": the CRC-32 of the
 * record's JSON text (8 lowercase hex digits), a space, then the JSON:
 *
 *   1c291ca3 {"op":"add","id":"<32 hex>","message":"<text>"}   a message became pending
 *   5e0a4b77 {"op":"del","ids":["<32 hex>",...]}                these ids left the pending set
 *
 * (Journals written before the checksum have lines of JSON alone; they still
 * load, unchecked.) Replay applies the records in order to a map keyed by
 * id: a second add of a pending id is ignored (no duplicate), an add after a
 * del brings the message back (a reorg returned it). A record counts once its
 * "\n" is in the file, so a last line without one is a write torn by a
 * crash: it was never acknowledged, and open() drops it with a warning and
 * cuts it off before appending. Any other bad line, or one whose checksum
 * fails (a flipped bit), is corruption: open() throws a PendingJournalError
 * "JOURNAL_CORRUPT" naming the line and leaves the file as it is.
 *
 * Writes go through one queue, in call order. Appends waiting while a write
 * and its fdatasync run are written together and share the next fdatasync
 * (group commit), so a busy node pays one disk sync per batch, not per message;
 * a batch's sync may start while the one before it still runs (drain()).
 * Removals do not ask for a sync of their own (a message that comes back
 * after a crash is dropped by the node when its id is in the chain): they
 * ride on the next add's sync, or on close().
 *
 * A failed write (a full disk, an I/O error) is not retried in place: after
 * it the file's state is unknown (a retried fsync can report success for lost
 * pages, a short write leaves half a line). The journal refuses writes
 * (a StorageError: DISK_FULL for ENOSPC/EDQUOT, else STORAGE_FAILED) and recovers by rewriting
 * the whole file from what it knows was durable (temp file, fsync, rename):
 * on a timer, and before the next write once a retry interval has passed.
 */

/** Why the journal cannot be used: a typed error that crosses the storage boundary. */
export class PendingJournalError extends Error {
  constructor(
    readonly code: "JOURNAL_CORRUPT" | "JOURNAL_CLOSED",
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PendingJournalError";
  }
}

export interface PendingJournalOptions {
  logger?: { warn(msg: string): void; info?(msg: string): void };
  /** Least time between two attempts to recover a failed journal. */
  retryMs?: number;
}

/** One write waiting in the queue. */
type QueuedOp =
  | { kind: "append"; record: JournalRecord; sync: boolean; done: Settle }
  | { kind: "compact"; records: readonly Data[]; done: Settle };

interface Settle {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A message whose add() has not settled yet; counted, as one id may be added twice at once. */
interface InFlight {
  data: Data;
  count: number;
}

/**
 * How many batches' fdatasyncs may run at once. Two overlapping syncs of one
 * file cost the disk little more than one (measured here: 1,860 syncs/s
 * alone, 3,620 with two in flight), so a node under many concurrent adds
 * acknowledges about twice as many.
 */
const SYNCS_IN_FLIGHT = 2;

/** The durable log of pending messages; see the format above. */
export class PendingJournal {
  private readonly queue: QueuedOp[] = [];
  private readonly inFlight = new Map<string, InFlight>();
  /** What a replay of the file gives: the messages durably added and not removed. */
  private readonly durable: Map<string, Data>;
  private draining: Promise<void> | null = null;
  /** Writes made, and how many of them a finished sync covers (removals ride on the next sync). */
  private written = 0;
  private syncedUpTo = 0;
  /** Counts failures: a batch whose sync started before a failure is not acknowledged after it. */
  private generation = 0;
  /** The write that failed; null while the journal is healthy. */
  private failure: Error | null = null;
  private lastAttempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private syncs = 0;
  private failures = 0;
  private readonly retryMs: number;

  private constructor(
    private readonly path: string,
    private file: FileHandle,
    durable: readonly Data[],
    private readonly opts: PendingJournalOptions,
  ) {
    this.durable = new Map(durable.map((d) => [d.id, d]));
    this.retryMs = opts.retryMs ?? 1_000;
  }

  /**
   * Opens (creating) the journal file and replays it: the messages added and
   * not removed, in order. A torn last record is dropped with a warning;
   * corruption elsewhere throws a PendingJournalError "JOURNAL_CORRUPT".
   */
  static async open(
    path: string,
    opts: PendingJournalOptions = {},
  ): Promise<{ journal: PendingJournal; pending: Data[] }> {
    await mkdir(dirname(path), { recursive: true });
    // A temp file left by a compaction cut short: the journal itself is intact (rename is atomic).
    await rm(tempPathOf(path), { force: true });
    const bytes = await readIfExists(path);
    const { pending, goodLength } = replay(bytes ?? Buffer.alloc(0), path);
    if (bytes && goodLength < bytes.length) {
      opts.logger?.warn(
        `pending journal ${path}: dropped a torn last record of ${bytes.length - goodLength} bytes (a write cut by a crash)`,
      );
      await truncate(path, goodLength);
    }
    const file = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
    // Make the cut, or the new file's directory entry, durable before anything is acknowledged.
    if (bytes && goodLength < bytes.length) await file.datasync();
    if (!bytes) await syncDirectory(dirname(path));
    return { journal: new PendingJournal(path, file, pending, opts), pending };
  }

  /** Whether writes fail now (the node answers 507 or 503 to adds until it recovers). */
  get failing(): boolean {
    return this.failure !== null;
  }

  /** The failed write's error, while failing. */
  get lastError(): Error | null {
    return this.failure;
  }

  /** Failed writes since open. */
  get failureCount(): number {
    return this.failures;
  }

  /** How many times the journal synced a file to disk (group commit keeps it below the number of adds). */
  get fsyncCount(): number {
    return this.syncs;
  }

  /** Appends a message; resolves once it is on disk (fdatasync), shared with concurrent adds. */
  add(data: Data): Promise<void> {
    const entry = this.inFlight.get(data.id);
    if (entry) entry.count++;
    else this.inFlight.set(data.id, { data, count: 1 });
    const record: JournalRecord = { op: "add", data };
    const settled = () => this.leaveInFlight(data.id);
    const written = this.enqueue((done) => ({ kind: "append", record, sync: true, done }));
    written.then(settled, settled);
    return written;
  }

  /** Records that these ids left the pending set; durable lazily (with the next add, or close). */
  remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return this.failed() ?? Promise.resolve();
    for (const id of ids) this.inFlight.delete(id);
    const record: JournalRecord = { op: "del", ids: [...ids] };
    return this.enqueue((done) => ({ kind: "append", record, sync: false, done }));
  }

  /**
   * Rewrites the file to hold just `current` (temp file, sync, rename, sync
   * of the directory), to keep it small. Messages whose add() is still
   * running are kept too: the caller's `current` cannot list them yet, and
   * dropping them would lose an add about to be acknowledged.
   */
  compact(current: readonly Data[]): Promise<void> {
    const records = new Map<string, Data>();
    for (const data of current) if (!records.has(data.id)) records.set(data.id, data);
    for (const { data } of this.inFlight.values()) {
      if (!records.has(data.id)) records.set(data.id, data);
    }
    return this.enqueue((done) => ({ kind: "compact", records: [...records.values()], done }));
  }

  /** Waits for queued writes, makes everything durable, and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.draining;
    try {
      if (this.unsynced && !this.failure) await this.sync();
    } finally {
      await this.file.close();
    }
  }

  private enqueue(make: (done: Settle) => QueuedOp): Promise<void> {
    const refused = this.failed();
    if (refused) return refused;
    return new Promise<void>((resolve, reject) => {
      this.queue.push(make({ resolve, reject }));
      this.draining ??= this.drain();
    });
  }

  /** A refusal: the journal is closed, or failing and not due for another recovery attempt. */
  private failed(): Promise<never> | null {
    if (this.closed) {
      return Promise.reject(
        new PendingJournalError(
          "JOURNAL_CLOSED",
          `pending journal ${this.path} is closed`,
          this.path,
        ),
      );
    }
    if (this.failure && !this.dueForRetry()) {
      return Promise.reject(this.failureError(this.failure));
    }
    return null;
  }

  private dueForRetry(): boolean {
    return Date.now() - this.lastAttempt >= this.retryMs;
  }

  private failureError(cause: Error): StorageError {
    return new StorageError(`pending journal ${this.path}`, cause);
  }

  /**
   * Runs the queue until it is empty; each turn takes every append queued
   * meanwhile. Appends are written in order, but a batch's fdatasync need not
   * wait for the one before it: up to SYNCS_IN_FLIGHT run at once (a disk
   * serves overlapping syncs of one file nearly as fast as one, so a busy
   * node acknowledges about twice as many adds a second). A batch settles
   * only after every batch before it, and a failed sync fails every batch
   * after it too (the file's state is unknown from there on).
   */
  private async drain(): Promise<void> {
    // The settling of the last batch started; each batch waits for it first.
    let previous: Promise<void> = Promise.resolve();
    const running = new Set<Promise<void>>();
    do {
      while (this.queue.length > 0) {
        // Let the callers just resumed by the last batch, and requests already
        // read in this turn, queue their adds first: they join this batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (running.size >= SYNCS_IN_FLIGHT) await Promise.race(running);
        const batch = this.takeBatch();
        if (batch.length === 0) continue;
        // A compaction or a recovery rewrites the file: nothing may be in flight then.
        if (batch[0]?.kind === "compact" || this.failure) await previous;
        const generation = this.generation;
        let synced: Promise<void>;
        let writeFailed = false;
        try {
          await this.recoverIfFailed(batch);
          synced = (await this.runBatch(batch)).synced;
        } catch (err) {
          writeFailed = true;
          synced = Promise.reject(err);
        }
        synced.catch(() => undefined);
        const done = previous
          .then(() => synced)
          .then(
            () => {
              // A batch before this one failed its sync: this one's sync proves nothing.
              if (generation !== this.generation) throw this.failureError(this.failure as Error);
              this.applyDurable(batch);
              for (const op of batch) op.done.resolve();
            },
            (err) => {
              if (generation === this.generation) {
                this.fail(err instanceof Error ? err : new Error(String(err)));
              }
              throw this.failureError(this.failure as Error);
            },
          )
          .catch((error: Error) => {
            for (const op of [...batch, ...this.queue.splice(0)]) op.done.reject(error);
          });
        running.add(done);
        done.then(() => running.delete(done));
        previous = done;
        // A failed write is settled (after the batches before it) before anything else is written.
        if (writeFailed) await previous;
      }
      await previous;
    } while (this.queue.length > 0);
    this.draining = null;
  }

  /** Before writing after a failure: rewrite the file whole (a compaction is that already). */
  private async recoverIfFailed(batch: readonly QueuedOp[]): Promise<void> {
    if (!this.failure || batch[0]?.kind === "compact") return;
    this.lastAttempt = Date.now();
    await this.rewrite([...this.durable.values()]);
    this.recovered();
  }

  private fail(err: Error): void {
    const first = this.failure === null;
    this.failure = err;
    this.generation++;
    this.failures++;
    this.lastAttempt = Date.now();
    if (first) {
      this.opts.logger?.warn(
        `pending journal ${this.path} cannot be written (${(err as NodeJS.ErrnoException).code ?? err.message}); ` +
          `adds are refused until it recovers (tried again every ${this.retryMs / 1000} s)`,
      );
    }
    this.scheduleRetry();
  }

  private recovered(): void {
    if (!this.failure) return;
    this.failure = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.opts.logger?.warn(`pending journal ${this.path} is written again`);
  }

  /** A recovery attempt on a timer, so that the journal heals without waiting for an add. */
  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closed || !this.failure) return;
      // The same rewrite a compaction does, of what was durable before the failure.
      this.compact([...this.durable.values()]).catch(() => undefined);
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /** What the file now holds, once `batch` is on disk. */
  private applyDurable(batch: readonly QueuedOp[]): void {
    for (const op of batch) {
      if (op.kind === "compact") {
        this.durable.clear();
        for (const data of op.records) this.durable.set(data.id, data);
      } else if (op.record.op === "add") {
        if (!this.durable.has(op.record.data.id))
          this.durable.set(op.record.data.id, op.record.data);
      } else {
        for (const id of op.record.ids) this.durable.delete(id);
      }
    }
    if (batch[0]?.kind === "compact") this.recovered();
  }

  /** A compaction alone, or every append up to the next compaction. */
  private takeBatch(): QueuedOp[] {
    const first = this.queue[0];
    if (first?.kind === "compact") return this.queue.splice(0, 1);
    const end = this.queue.findIndex((op) => op.kind === "compact");
    return this.queue.splice(0, end === -1 ? this.queue.length : end);
  }

  /**
   * Writes a batch (awaited: appends stay in order) and gives back its sync,
   * still running: it covers every byte written before it began.
   */
  private async runBatch(batch: readonly QueuedOp[]): Promise<{ synced: Promise<void> }> {
    const first = batch[0];
    if (first?.kind === "compact") {
      await this.rewrite(first.records);
      return { synced: Promise.resolve() };
    }
    const text = batch.map((op) => (op.kind === "append" ? encodeRecord(op.record) : "")).join("");
    await writeAll(this.file, Buffer.from(text, "utf8"));
    this.written++;
    // Wrapped, or the async function's promise would adopt the sync's and wait for it.
    if (!batch.some((op) => op.kind === "append" && op.sync)) return { synced: Promise.resolve() };
    return { synced: this.sync() };
  }

  private get unsynced(): boolean {
    return this.syncedUpTo < this.written;
  }

  private async sync(): Promise<void> {
    const upTo = this.written;
    await this.file.datasync();
    this.syncs++;
    this.syncedUpTo = Math.max(this.syncedUpTo, upTo);
  }

  /** Replaces the journal with one add record per message, atomically. */
  private async rewrite(records: readonly Data[]): Promise<void> {
    const temp = tempPathOf(this.path);
    const text = records.map((data) => encodeRecord({ op: "add", data })).join("");
    const out = await open(temp, "w");
    try {
      await writeAll(out, Buffer.from(text, "utf8"));
      await out.datasync();
      this.syncs++;
    } finally {
      await out.close();
    }
    await rename(temp, this.path);
    await syncDirectory(dirname(this.path));
    const old = this.file;
    this.file = await open(this.path, constants.O_WRONLY | constants.O_APPEND);
    this.syncedUpTo = this.written;
    await old.close();
  }

  private leaveInFlight(id: string): void {
    const entry = this.inFlight.get(id);
    if (!entry) return;
    if (--entry.count === 0) this.inFlight.delete(id);
  }
}

/** The compaction's temp file, next to the journal so that rename stays on one file system. */
function tempPathOf(path: string): string {
  return `${path}.compact-tmp`;
}

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Writes all of `buffer`; a write that makes no progress counts as a full disk (never a busy loop). */
async function writeAll(file: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await file.write(buffer, offset, buffer.length - offset);
    if (bytesWritten === 0) {
      throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    }
    offset += bytesWritten;
  }
}

/** One journal line: the CRC-32 of the JSON text, a space, the JSON, "\n". */
function encodeRecord(record: JournalRecord): string {
  const json =
    record.op === "add"
      ? JSON.stringify({ op: "add", id: record.data.id, message: record.data.message })
      : JSON.stringify({ op: "del", ids: record.ids });
  return `${crcHex(Buffer.from(json, "utf8"))} ${json}\n`;
}

function crcHex(bytes: Buffer): string {
  return crc32(bytes).toString(16).padStart(8, "0");
}

/**
 * Applies the journal's complete records in order. Returns the pending
 * messages and the length of the complete part (the rest is a torn record).
 */
function replay(bytes: Buffer, path: string): { pending: Data[]; goodLength: number } {
  const goodLength = bytes.lastIndexOf(0x0a) + 1;
  const pending = new Map<string, Data>();
  for (let start = 0, line = 1; start < goodLength; line++) {
    const end = bytes.indexOf(0x0a, start);
    const record = parseLine(bytes.subarray(start, end));
    if (typeof record === "string") {
      throw new PendingJournalError(
        "JOURNAL_CORRUPT",
        `pending journal ${path} is corrupt at line ${line}: ${record}; fix or move the file away`,
        path,
      );
    }
    if (record.op === "add") {
      if (!pending.has(record.data.id)) pending.set(record.data.id, record.data);
    } else {
      for (const id of record.ids) pending.delete(id);
    }
    start = end + 1;
  }
  return { pending: [...pending.values()], goodLength };
}

const CHECKSUM_PREFIX = /^[0-9a-f]{8} $/;

/** A line's record, or why it is not one: `<crc> <json>`, or the JSON alone (a journal from before the checksum). */
function parseLine(line: Buffer): JournalRecord | string {
  if (line[0] === 0x7b) return parseRecord(line.toString("utf8"));
  const prefix = line.toString("latin1", 0, 9);
  if (!CHECKSUM_PREFIX.test(prefix)) return "not a record (no checksum, no JSON)";
  const json = line.subarray(9);
  if (crcHex(json) !== prefix.slice(0, 8)) {
    return "the record fails its checksum (its bytes changed since they were written)";
  }
  return parseRecord(json.toString("utf8"));
}

type JournalRecord = { op: "add"; data: Data } | { op: "del"; ids: string[] };

/** A record, or why the line is not one. */
function parseRecord(line: string): JournalRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "not a JSON line";
  }
  if (typeof value !== "object" || value === null) return "not a record object";
  const record = value as Record<string, unknown>;
  if (record.op === "add") {
    // The journal keeps what the node accepted: the size limit of the day is not rechecked.
    const data = { id: record.id, message: record.message };
    const problem = dataProblem(data, Number.POSITIVE_INFINITY);
    return problem ? `bad add record: ${problem}` : { op: "add", data: data as Data };
  }
  if (record.op === "del") {
    const ids = record.ids;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      return "bad del record: ids must be an array of strings";
    }
    return { op: "del", ids };
  }
  return `unknown op ${JSON.stringify(record.op)}`;
}
