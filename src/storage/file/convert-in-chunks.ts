import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { ChainLoadError } from "../chain-load-error.js";
import { checkChainFileInChunks } from "../check/chunked-check.js";
import type { RecordCheckOptions } from "../check/record-check.js";
import { type ChainCodec, type ChainFormat, codecFor } from "../codecs/chain-format.js";
import { binaryToJsonLines } from "../codecs/record-transcode.js";
import { nativeChainIndex } from "../index/native-chain-index.js";
import { syncDirectory, writeAllAt } from "./atomic-write.js";
import { MAX_CHAIN_FILE_BYTES } from "./chain-file.js";
import { CHUNK_BYTES, recordChunks, tornTailStart } from "./record-chunks.js";
import { newDigest } from "./running-digest.js";

/** What a conversion in chunks did. */
export interface ChunkedConversion {
  blocks: number;
  /** The input's bytes converted (its size, or where a torn last record starts). */
  inputBytes: number;
  outputBytes: number;
  /** The output's SHA-256 hex, for its .hash. */
  digest: string;
  /** Where a torn last record of the input starts (it is not converted), or null. */
  tornAt: number | null;
}

/**
 * Converts a valid chain file to `to` reading it in chunks (any size; memory
 * holds two chunks and the check's index, never the file): the input is
 * checked in full in chunks first (SPEC section 3, each record its block's
 * exact encoding), then read again chunk by chunk, each chunk's records
 * written in the output's format to a temporary file renamed to `output` once
 * whole and synced. The input's digest is taken on both passes: an input that
 * changed in between is not converted. Past the size read whole
 * (`wholeFileMax`: 4 GiB, smaller for tests), a torn last record is left out
 * (`tornAt`).
 *
 * Gives null where the file is better judged whole (its framing is not sound
 * all through, or it holds a broken block, and it fits in memory): the
 * caller's whole-file path then names exactly what is wrong, with its hints.
 * A broken block in a larger file gives the ChainLoadError naming it.
 */
export async function convertInChunks(
  input: string,
  output: string,
  from: ChainFormat,
  to: ChainFormat,
  opts: RecordCheckOptions,
  sizes: { chunkBytes?: number; wholeFileMax?: number } = {},
): Promise<ChunkedConversion | ChainLoadError | null> {
  const codec = codecFor(from);
  const native = nativeChainIndex();
  const { chunkBytes = CHUNK_BYTES, wholeFileMax = MAX_CHAIN_FILE_BYTES } = sizes;
  const size = (await stat(input)).size;
  const check = (limit?: number) =>
    checkChainFileInChunks(input, codec, opts, native, false, chunkBytes, limit);
  let tornAt: number | null = null;
  let checked = await check();
  if (checked === null && size > wholeFileMax) {
    tornAt = await tornTailStart(input, codec, native);
    if (tornAt !== null) checked = await check(tornAt);
  }
  if (checked === null || (checked instanceof ChainLoadError && size <= wholeFileMax)) {
    return null;
  }
  if (checked instanceof ChainLoadError) return checked;
  const end = checked.index.size;
  const written = await writeConverted(input, output, codec, codecFor(to), end, chunkBytes);
  if (written.inputDigest !== checked.digest.hex()) {
    await rm(output, { force: true });
    throw new ChainLoadError(
      "READ_FAILED",
      input,
      "the file changed while it was converted (is a node writing it?); nothing was converted",
    );
  }
  return {
    blocks: checked.index.count,
    inputBytes: end,
    outputBytes: written.bytes,
    digest: written.outputDigest,
    tornAt,
  };
}

/**
 * Writes the first `end` bytes of `input`, records of `inCodec`, as records
 * of `outCodec` to `output` (temporary file, synced, renamed); gives the
 * digests of what was read and what was written.
 */
async function writeConverted(
  input: string,
  output: string,
  inCodec: ChainCodec,
  outCodec: ChainCodec,
  end: number,
  chunkBytes: number,
): Promise<{ inputDigest: string; outputDigest: string; bytes: number }> {
  await mkdir(dirname(output), { recursive: true });
  const temp = `${output}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  const source = await open(input, "r");
  const target = await open(temp, "w");
  const inputDigest = newDigest();
  const outputDigest = newDigest();
  let bytes = 0;
  const write = async (chunk: Buffer) => {
    outputDigest.update(chunk);
    await writeAllAt(target, chunk, bytes);
    bytes += chunk.length;
  };
  try {
    await write(outCodec.header);
    const chunks = recordChunks(source, end, inCodec, chunkBytes, nativeChainIndex());
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      const { bytes: chunk, first } = next.value;
      inputDigest.update(chunk);
      await write(transcoded(chunk.subarray(first ? inCodec.header.length : 0), inCodec, outCodec));
    }
    await target.sync();
  } catch (err) {
    await target.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  } finally {
    await source.close();
  }
  await target.close();
  await rename(temp, output);
  await syncDirectory(dirname(output));
  return { inputDigest: inputDigest.hex(), outputDigest: outputDigest.hex(), bytes };
}

/** Whole records of one format (checked already) as records of the other, or as they are. */
function transcoded(records: Buffer, from: ChainCodec, to: ChainCodec): Buffer {
  if (from.format === to.format) return records;
  if (from.format === "binary") {
    // Framed by their lengths alone (the first pass checked every CRC; the digests compared after catch a change).
    const lines = binaryToJsonLines(records, Number.POSITIVE_INFINITY, true);
    if (typeof lines === "string") throw new Error(`the converted file changed: ${lines}`);
    return lines.bytes;
  }
  const out: Buffer[] = [];
  for (let start = 0; start < records.length; ) {
    const end = records.indexOf(0x0a, start) + 1;
    if (end === 0) throw new Error("the converted file changed: a line without its newline");
    const block = from.decodeRecord(records.subarray(start, end));
    if (typeof block === "string") throw new Error(`the converted file changed: ${block}`);
    out.push(to.encodeRecord(block));
    start = end;
  }
  return Buffer.concat(out);
}
