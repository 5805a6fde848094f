import { type FileHandle, open } from "node:fs/promises";
import { join, parse } from "node:path";

/** Bytes kept of each block's hash: enough to tell a changed block, small beside the block. */
export const MARK_BYTES = 8;

/** The marks file beside a chain file: `<chain without extension>.hashes`. */
export function marksFilePath(chainPath: string): string {
  const { dir, name, ext } = parse(chainPath);
  if (ext === ".hashes") return `${chainPath}.hashes`;
  return join(dir, `${name}.hashes`);
}

/** The mark of a block: the first bytes of its hash (64 hex digits). */
export function markOf(blockHash: string): Buffer {
  return Buffer.from(blockHash.slice(0, MARK_BYTES * 2), "hex");
}

/** The marks of blocks whose hashes `hashes` holds (32 raw bytes each), one after another. */
export function marksOf(hashes: Buffer): Buffer {
  const count = Math.floor(hashes.length / 32);
  const marks = Buffer.allocUnsafe(count * MARK_BYTES);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < MARK_BYTES; j++) marks[i * MARK_BYTES + j] = hashes[i * 32 + j] as number;
  }
  return marks;
}

/**
 * The first bytes of every saved block's hash, one fixed-size record per
 * block, kept in step with the chain file. The `.hash` file says whether the
 * part of the chain file written by the last backup changed; these marks say
 * which block changed first, so the start can name it.
 */
export class BlockMarks {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private count: number,
  ) {}

  /** Opens (or creates) the marks file; the marks it holds are read only when asked for (readAll). */
  static async open(path: string): Promise<BlockMarks> {
    const handle = await open(path, "a+");
    try {
      const size = (await handle.stat()).size;
      return new BlockMarks(path, handle, Math.floor(size / MARK_BYTES));
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** How many whole marks the file holds. */
  get length(): number {
    return this.count;
  }

  /** Every whole mark the file holds (8 bytes a block: read only to name a changed block). */
  async readAll(): Promise<Buffer> {
    const bytes = Buffer.allocUnsafe(this.count * MARK_BYTES);
    for (let done = 0; done < bytes.length; ) {
      const { bytesRead } = await this.handle.read(bytes, done, bytes.length - done, done);
      if (bytesRead === 0) return bytes.subarray(0, done - (done % MARK_BYTES));
      done += bytesRead;
    }
    return bytes;
  }

  /** Keeps the first `count` marks and appends `marks` after them (each buffer may hold several). */
  async replaceFrom(count: number, marks: readonly Buffer[]): Promise<void> {
    const keep = Math.min(count, this.count);
    await this.handle.truncate(keep * MARK_BYTES);
    this.count = keep;
    const bytes = Buffer.concat(marks);
    if (bytes.length === 0) return;
    // "a+" appends every write at the end, which is where the kept marks stop.
    await this.handle.write(bytes);
    this.count += bytes.length / MARK_BYTES;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
