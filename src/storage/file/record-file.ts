import { closeSync, openSync, readSync } from "node:fs";

/**
 * A chain file read at given byte ranges (pread on a descriptor of its own):
 * how the blocks a node has saved are read back on demand instead of being
 * held in memory. Reads are synchronous on purpose: a record is a few hundred
 * bytes from the page cache, and the chain's getters (blockAt, hashAt) are
 * synchronous for every caller.
 *
 * The descriptor is opened on the first read and closed by close(); a read
 * after close() opens it again (the library's `chain` read after a node
 * stopped), and close() must then be called again.
 */
export class RecordFile {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  /** The bytes [from, to) of the file; throws when the file is shorter. */
  read(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(Math.max(0, to - from));
    this.readInto(out, from);
    return out;
  }

  /** Fills `out` with the file's bytes from `position` on; throws when the file is shorter. */
  readInto(out: Buffer, position: number): void {
    this.fd ??= openSync(this.path, "r");
    for (let done = 0; done < out.length; ) {
      // At most 1 GiB a call: Node refuses a length past 2^31 - 1.
      const length = Math.min(out.length - done, 1 << 30);
      const read = readSync(this.fd, out, done, length, position + done);
      if (read === 0) {
        throw new Error(
          `${this.path}: the file ends at byte ${position + done}, before the ${out.length} byte(s) read from ${position} (was it changed behind the node's back?)`,
        );
      }
      done += read;
    }
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}
