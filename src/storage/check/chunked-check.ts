import { open } from "node:fs/promises";
import type { Block } from "../../core/block.js";
import { ChainLoadError } from "../chain-load-error.js";
import type { ChainCodec } from "../codecs/chain-codec.js";
import { CHUNK_BYTES, recordChunks } from "../file/record-chunks.js";
import { extendDigest, newDigest, type RunningDigest } from "../file/running-digest.js";
import { type FileIndex, FileIndexBuilder } from "../index/file-index.js";
import type { NativeChainIndex } from "../index/native-chain-index.js";
import { type CheckedRecords, checkChainRecords, checkRecordsFrom } from "./chain-check.js";
import type { KnownIds, RecordCheckOptions, RunParent } from "./record-check.js";

const HASH_BYTES = 32;

/** A chain file checked in full, chunk by chunk: its index, its tip's hash, its digest. */
export interface ChunkedCheck {
  index: FileIndex;
  /** The last block's hash, 32 raw bytes. */
  tipHash: Buffer;
  digest: RunningDigest;
  /** With measureWork: the most difficulty every proof meets. */
  leastZeros?: number;
}

/**
 * Checks every record of a chain file in full (SPEC section 3, and each
 * record the exact encoding of its block), as loadCheckedChain does, but
 * reading the file in chunks of whole records: memory holds two chunks and
 * the index (offsets, ids, marks), never the file, so a file of any size is
 * checked. The file's SHA-256 is taken in the thread pool meanwhile.
 *
 * Gives null when the file's framing is not sound all through (damage, a
 * torn or unfinished last record, another program's file): the whole-file
 * check says what is wrong and what a load repairs. A block that breaks a
 * rule, or a record that is not its block's exact encoding, gives the
 * ChainLoadError naming it (the whole-file check, where the file fits in
 * memory, adds hints: which proof rule the file follows, which record a link
 * to raw bytes names). With `limit`, only the file's first `limit` bytes are
 * checked (its part before a torn tail).
 */
export async function checkChainFileInChunks(
  path: string,
  codec: ChainCodec,
  opts: RecordCheckOptions,
  native: NativeChainIndex | null,
  withMarks = true,
  chunkBytes = CHUNK_BYTES,
  limit = Number.POSITIVE_INFINITY,
): Promise<ChunkedCheck | ChainLoadError | null> {
  const handle = await open(path, "r");
  let digesting: Promise<void> = Promise.resolve();
  try {
    const size = Math.min((await handle.stat()).size, limit);
    if (size <= codec.header.length) return null;
    const digest = newDigest();
    const built = new FileIndexBuilder(size, native, withMarks);
    let parent: RunParent | null = null;
    let leastZeros = Number.POSITIVE_INFINITY;
    const chunks = recordChunks(handle, size, codec, chunkBytes, native);
    let next = await chunks.next();
    for (; !next.done; next = await chunks.next()) {
      const { bytes, base } = next.value;
      await digesting;
      digesting = extendDigest(digest, bytes);
      const known: KnownIds = {
        hasBytes: (ids, at) => built.holds(ids, at),
        firstKnown: (ids, from, to) => built.firstHeld(ids, from, to),
      };
      const checked: CheckedRecords =
        parent === null
          ? checkChainRecords(codec, bytes, opts)
          : checkRecordsFrom(codec, bytes, 0, bytes.length, parent, known, opts);
      const failure = failureOf(path, codec, checked, bytes, base, built.count);
      if (failure) return failure;
      leastZeros = Math.min(leastZeros, checked.leastZeros ?? leastZeros);
      built.add(checked, checked.count, base, base + bytes.length, 0);
      const last = checked.count - 1;
      const lastStart = checked.starts[last] as number;
      const block = codec.decodeRecord(bytes.subarray(lastStart)) as Block;
      parent = {
        index: block.index,
        timestamp: block.timestamp,
        proof: block.proof,
        hash: Buffer.from(checked.hashes.subarray(last * HASH_BYTES, (last + 1) * HASH_BYTES)),
      };
    }
    await digesting;
    if (next.value !== true || parent === null) return null;
    return {
      index: built.index(),
      tipHash: parent.hash,
      digest,
      ...(opts.measureWork ? { leastZeros } : {}),
    };
  } finally {
    await digesting.catch(() => undefined);
    await handle.close();
  }
}

/** The ChainLoadError of a chunk's first failure, or null when all its records are valid and exact. */
function failureOf(
  path: string,
  codec: ChainCodec,
  checked: CheckedRecords,
  bytes: Buffer,
  base: number,
  before: number,
): ChainLoadError | null {
  const where = (index: number): { index: number; line?: number; offset: number } => {
    const local = index - before;
    let offset: number;
    if (local < checked.count) offset = checked.starts[local] as number;
    else if (checked.count === 0) offset = before === 0 ? codec.header.length : 0;
    else offset = codec.recordEnd(bytes, checked.starts[checked.count - 1] as number) as number;
    const at = base + offset;
    return codec.format === "json" ? { index, line: index + 1, offset: at } : { index, offset: at };
  };
  const { failure } = checked;
  if (failure !== null) {
    const code = failure.damaged ?? "INVALID_CHAIN";
    return new ChainLoadError(code, path, failure.reason, where(failure.index));
  }
  if (checked.notCanonical >= 0) {
    const reason = `the record is not the ${codec.format === "json" ? "canonical encoding" : "exact binary encoding"} of its block`;
    return new ChainLoadError("NOT_CANONICAL", path, reason, where(checked.notCanonical));
  }
  return null;
}
