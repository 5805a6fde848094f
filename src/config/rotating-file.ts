import { existsSync, renameSync, statSync } from "node:fs";
import pino from "pino";

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * A log file rotated by size: `miner.log` stays the live file; when it passes
 * `maxBytes` it becomes `miner.log.1` (older ones shift up to `keep`).
 */
export class RotatingFile {
  private readonly dest: SonicBoom;
  private bytes: number;
  /** The file is open (SonicBoom opens it, and reopens it after a rotation, asynchronously). */
  private ready = false;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly keep = 5,
  ) {
    this.bytes = existsSync(path) ? statSync(path).size : 0;
    this.dest = pino.destination({ dest: path, sync: false, mkdir: true, append: true });
    this.dest.on("ready", () => {
      this.ready = true;
    });
  }

  write(chunk: string): boolean {
    const ok = this.dest.write(chunk);
    this.bytes += Buffer.byteLength(chunk);
    // A rotation waits until the file is open: what is written meanwhile is buffered.
    if (this.bytes >= this.maxBytes && this.ready) this.rotate();
    return ok;
  }

  /** Resolves once the file is open (again, after a rotation). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.dest.once("ready", () => resolve()));
  }

  /** Flushes what is buffered and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.dest.once("close", () => resolve());
      this.dest.end();
    });
  }

  private rotate(): void {
    this.dest.flushSync();
    for (let i = this.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    this.ready = false;
    this.dest.reopen();
    this.bytes = 0;
  }
}
