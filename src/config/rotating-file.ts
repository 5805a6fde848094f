import { type FileHandle, open, rename, stat } from "node:fs/promises";

export interface RotatingFileOptions {
  /** Older files kept beside the live one (`.1` ... `.keep`). */
  keep?: number;
  /** Told once when the file cannot be written (file logging pauses), and once when it can again. */
  onProblem?: (message: string) => void;
  /** How often a paused file is tried again. */
  retryMs?: number;
  /** Most bytes held while a write runs; lines beyond are dropped (and counted), never blocking. */
  maxBufferBytes?: number;
  /** Longest close() waits for a write in flight. */
  closeWaitMs?: number;
}

/**
 * A log file rotated by size (`miner.log` stays the live file; when it passes
 * `maxBytes` it becomes `miner.log.1`, older ones shift up to `keep`), that
 * never stops the node: writes are asynchronous and buffered up to a bound; a
 * write that fails (disk full, file gone bad) pauses file logging, says so
 * once through `onProblem`, and a timer tries again. Nothing here writes
 * synchronously or hooks process exit, so no signal ever waits for it.
 */
export class RotatingFile {
  private handle: FileHandle;
  private bytes: number;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private flushing: Promise<void> | null = null;
  /** A write failed and no write has succeeded since. */
  private failing = false;
  /** Writes are dropped until the retry timer resumes them. */
  private paused = false;
  private dropped = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly keep: number;
  private readonly retryMs: number;
  private readonly maxBufferBytes: number;
  private readonly closeWaitMs: number;

  private constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    handle: FileHandle,
    size: number,
    private readonly opts: RotatingFileOptions,
  ) {
    this.handle = handle;
    this.bytes = size;
    this.keep = opts.keep ?? 5;
    this.retryMs = opts.retryMs ?? 5_000;
    this.maxBufferBytes = opts.maxBufferBytes ?? 4 * 1024 * 1024;
    this.closeWaitMs = opts.closeWaitMs ?? 2_000;
  }

  /** Opens (creating) the file for appending; throws when it cannot be opened. */
  static async open(
    path: string,
    maxBytes: number,
    opts: RotatingFileOptions = {},
  ): Promise<RotatingFile> {
    const handle = await open(path, "a");
    const size = (await handle.stat()).size;
    return new RotatingFile(path, maxBytes, handle, size, opts);
  }

  /** Lines written since the file became unwritable, and not kept. */
  get droppedLines(): number {
    return this.dropped;
  }

  /** Queues a chunk; never throws and never blocks. */
  write(chunk: string): boolean {
    if (this.closed || this.paused || this.bufferBytes > this.maxBufferBytes) {
      this.dropped++;
      return true;
    }
    this.buffer.push(chunk);
    this.bufferBytes += chunk.length;
    this.flushing ??= this.flush().finally(() => {
      this.flushing = null;
    });
    return true;
  }

  /** Resolves once what is queued now has been written (or dropped). */
  async flushed(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Writes what is buffered (waiting at most closeWaitMs) and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.closeWaitMs);
    });
    await Promise.race([this.flushed(), deadline]);
    clearTimeout(timer);
    await this.handle.close().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    while (this.buffer.length > 0 && !this.paused) {
      const text = this.buffer.join("");
      const lines = this.buffer.length;
      this.buffer = [];
      this.bufferBytes = 0;
      try {
        const bytes = Buffer.from(text, "utf8");
        await writeAll(this.handle, bytes);
        this.bytes += bytes.length;
        if (this.failing) this.recovered();
        if (this.bytes >= this.maxBytes && !this.closed) await this.rotate();
      } catch (err) {
        this.dropped += lines;
        this.fail(err as NodeJS.ErrnoException);
      }
    }
  }

  private async rotate(): Promise<void> {
    await this.handle.close();
    for (let i = this.keep - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(() => undefined);
    }
    await rename(this.path, `${this.path}.1`);
    this.handle = await open(this.path, "a");
    this.bytes = (await stat(this.path)).size;
  }

  private fail(err: NodeJS.ErrnoException): void {
    this.dropped += this.buffer.length;
    this.buffer = [];
    this.bufferBytes = 0;
    this.paused = true;
    if (!this.failing) {
      this.failing = true;
      this.opts.onProblem?.(
        `cannot write the log file ${this.path} (${err.code ?? err.message}); ` +
          `file logging is paused and tried again every ${this.retryMs / 1000} s`,
      );
    }
    if (this.closed) return;
    this.retryTimer = setTimeout(() => void this.retry(), this.retryMs);
    this.retryTimer.unref();
  }

  /** Reopens the file (it may have been replaced) and lets writes through again. */
  private async retry(): Promise<void> {
    this.retryTimer = null;
    if (this.closed) return;
    try {
      const handle = await open(this.path, "a");
      await this.handle.close().catch(() => undefined);
      this.handle = handle;
      this.bytes = (await handle.stat()).size;
      this.paused = false;
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
    }
  }

  private recovered(): void {
    this.failing = false;
    this.opts.onProblem?.(
      `the log file ${this.path} is written again; ${this.dropped} line(s) were not written`,
    );
    this.dropped = 0;
  }
}

/** Writes all of `bytes`; a write that makes no progress counts as a full disk. */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    if (bytesWritten === 0) {
      throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    }
    done += bytesWritten;
  }
}
