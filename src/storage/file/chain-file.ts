import { constants as bufferConstants } from "node:buffer";
import { createHash } from "node:crypto";
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { Block } from "../../core/block.js";
import type { ValidationOptions } from "../../core/validate.js";
import { loadCheckedChain } from "../chain-load.js";
import { ChainLoadError } from "../chain-load-error.js";
import {
  type ChainFormat,
  codecFor,
  type DecodedChainFile,
  detectFormat,
} from "../codecs/chain-format.js";
import { recogniseOriginalChain } from "../original/original-format.js";
import { writeFileAtomic } from "./atomic-write.js";

/** A chain file as read: its bytes and its decoded (not yet validated) records. */
export interface ChainFile extends DecodedChainFile {
  path: string;
  format: ChainFormat;
  bytes: Buffer;
}

/**
 * Reads and decodes a chain file; `format` absent: detected from the magic.
 * Throws a ChainLoadError for a file that cannot be read or is damaged
 * anywhere but in a torn last record, which it reports in `torn`.
 */
export async function readChainFile(path: string, format?: ChainFormat): Promise<ChainFile> {
  const bytes = await readChainBytes(path);
  return decodeChainFile(path, bytes, format ?? detectFormat(bytes));
}

/** Decodes the bytes of a chain file (see readChainFile). */
export function decodeChainFile(path: string, bytes: Buffer, format: ChainFormat): ChainFile {
  return { path, format, bytes, ...codecFor(format).decode(bytes, path) };
}

/**
 * The bytes of a chain file; a ChainLoadError when it cannot be read or is a
 * chain file of the original Python node (which this node cannot load).
 * `shared`: in a SharedArrayBuffer, which worker threads can read too.
 */
export async function readChainBytes(
  path: string,
  shared = false,
  max = MAX_CHAIN_FILE_BYTES,
): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readWhole(path, shared, READ_CHUNK_BYTES, max);
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new ChainLoadError(
      "READ_FAILED",
      path,
      `cannot read the chain file: ${why}`,
      {},
      { cause: err },
    );
  }
  const original = recogniseOriginalChain(bytes);
  if (original !== null) {
    throw new ChainLoadError(
      "ORIGINAL_CHAIN_FILE",
      path,
      `this is a chain file of the original Python node (its ${original} format), which this node cannot load; ` +
        `carry its messages over into a new chain with \`blockchain import ${path} <new_chain_path>\``,
    );
  }
  return bytes;
}

/**
 * The most bytes one read asks for: Node refuses a length past 2^31 - 1 (a
 * file over 2 GiB read in one call aborted the process with a native
 * assertion), and a bounded read is as fast.
 */
export const READ_CHUNK_BYTES = 1 << 30;

/**
 * The largest chain file read whole (buffer.constants.MAX_LENGTH, 4 GiB
 * here): one whose records are not sound all through, to name its fault or
 * repair it. A sound file of any size is read in chunks.
 */
export const MAX_CHAIN_FILE_BYTES = bufferConstants.MAX_LENGTH;

/**
 * A file's bytes, read in as few calls as the bounds allow (READ_CHUNK_BYTES
 * each): readFile's 512 KiB reads each wait for this thread, which a start
 * keeps busy loading modules meanwhile. A file larger than one Buffer can
 * hold is refused with an error that says so, before anything is read.
 */
export async function readWhole(
  path: string,
  shared: boolean,
  chunkBytes = READ_CHUNK_BYTES,
  max = MAX_CHAIN_FILE_BYTES,
): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    if (size > max) {
      throw new RangeError(
        `the file is ${size} bytes; its records are not sound all through (damage, or not a chain file), and such a file is read whole to name its fault or repair it, which this node does for at most ${max} bytes (a sound chain file of any size is read in chunks, and one cut short by a crash has its torn last record cut)`,
      );
    }
    const bytes = shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(bytes, done, Math.min(chunkBytes, size - done), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    // A file that shrank meanwhile is what it now holds; one that grew is read as it was.
    return done < size ? bytes.subarray(0, done) : bytes;
  } finally {
    await handle.close();
  }
}

/**
 * The blocks of a decoded chain file once checked: a valid chain (SPEC
 * section 3) whose every record is its block's exact encoding. Throws a
 * ChainLoadError (INVALID_CHAIN or NOT_CANONICAL) naming the block and offset.
 * A file with no whole record gives an empty array.
 */
export function checkChainFile(file: ChainFile, opts: ValidationOptions): Block[] {
  if (file.records.length === 0) return [];
  const sound = file.bytes.subarray(0, file.end);
  const bytes = file.completion ? Buffer.concat([sound, file.completion]) : sound;
  loadCheckedChain(file.path, bytes, codecFor(file.format), opts);
  return file.records as Block[];
}

/**
 * Writes a whole chain file atomically (temp file + rename), creating missing folders;
 * returns the SHA-256 hex of the bytes written.
 */
export async function writeChainFile(
  path: string,
  format: ChainFormat,
  chain: readonly Block[],
): Promise<string> {
  const codec = codecFor(format);
  await mkdir(dirname(path), { recursive: true });
  const bytes = Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
  await writeFileAtomic(path, bytes);
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The format a chain file's first bytes show (chain-format.ts detectFormat),
 * or null when the file cannot be opened (the caller's next read says why).
 */
export async function formatOfFile(path: string): Promise<ChainFormat | null> {
  const handle = await open(path, "r").catch(() => null);
  if (handle === null) return null;
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return detectFormat(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
