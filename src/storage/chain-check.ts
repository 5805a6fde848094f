import type { Block } from "../core/block.js";
import { encodeBlock } from "../core/encoding.js";
import { GENESIS_HASH } from "../core/genesis.js";
import { sha256Bytes } from "../core/hash.js";
import { MAX_DIFFICULTY } from "../core/pow.js";
import { isGenesis } from "../core/validate.js";
import type { ChainCodec } from "./chain-codec.js";
import { IdIndex } from "./id-index.js";
import {
  checkRecordRun,
  isExactRecord,
  type KnownIds,
  type RecordCheckOptions,
  type RecordRunFailure,
  type RecordRunResult,
  type RunParent,
} from "./record-check.js";

const HASH_BYTES = 32;
const ID_BYTES = 16;

/** The records of a whole chain (genesis first) checked in full. */
export interface CheckedRecords {
  /** How many leading records are valid blocks (their records maybe not canonical: `notCanonical`). */
  count: number;
  /** Where each of them starts in the bytes. */
  starts: Float64Array;
  /** 32 raw bytes each: the block hashes. */
  hashes: Buffer;
  /** 16 raw bytes each: the data ids. */
  ids: Buffer;
  /** The first block that breaks a rule, or whose record is damaged; null when none does. */
  failure: RecordRunFailure | null;
  /** The first valid block whose record is not its exact encoding, or -1. */
  notCanonical: number;
  /** With measureWork: the fewest trailing zeros of any canonical record's proof digest after genesis (64 when none). */
  leastZeros?: number;
}

/**
 * Checks every record of a chain (the codec's header, then genesis first):
 * block 0 the genesis block, every later one by checkRecordRun (the native
 * path where the addon is built). A record that is valid but not its block's
 * exact encoding does not stop the check, so that a broken rule after it is
 * still found: `notCanonical` names the first such record.
 */
export function checkChainRecords(
  codec: ChainCodec,
  bytes: Buffer,
  opts: RecordCheckOptions,
): CheckedRecords {
  const first = codec.header.length;
  const genesis = checkGenesis(codec, bytes, first);
  if (typeof genesis === "string" || genesis === null) {
    const failure: RecordRunFailure =
      genesis === null
        ? { index: 0, reason: "block 0 is not the genesis block" }
        : { index: 0, reason: genesis, damaged: "BAD_RECORD" };
    return {
      count: 0,
      starts: new Float64Array(0),
      hashes: Buffer.alloc(0),
      ids: Buffer.alloc(0),
      failure,
      notCanonical: -1,
      ...(opts.measureWork ? { leastZeros: MAX_DIFFICULTY } : {}),
    };
  }

  // Most chains are one run; a record that is not canonical starts another after it.
  const runs: { from: number; run: RecordRunResult }[] = [];
  let notCanonical = genesis.exact ? -1 : 0;
  let parent: RunParent = {
    index: 0,
    timestamp: genesis.block.timestamp,
    proof: genesis.block.proof,
    hash: Buffer.from(GENESIS_HASH, "hex"),
  };
  let from = genesis.end;
  let known: KnownIds = { hasBytes: (b, at) => isZeroId(b, at) };
  let seen: IdIndex | null = null;
  const extra: { at: number; start: number; hash: Buffer; id: Buffer }[] = [];
  let failure: RecordRunFailure | null = null;
  let leastZeros = MAX_DIFFICULTY;
  for (;;) {
    const run = checkRecordRun(codec, bytes.subarray(from), parent, known, opts);
    runs.push({ from, run });
    leastZeros = Math.min(leastZeros, run.leastZeros ?? MAX_DIFFICULTY);
    if (run.failure === null) break;
    if (!run.failure.notCanonical) {
      failure = run.failure;
      break;
    }
    // Valid but not canonical: noted, taken as it is, and the check goes on after it.
    const index = run.failure.index;
    if (notCanonical < 0) notCanonical = index;
    const start = from + runEnd(codec, bytes, from, run);
    const end = codec.recordEnd(bytes, start) as number;
    const block = codec.decodeRecord(bytes.subarray(start, end)) as Block;
    const hash = sha256Bytes(encodeBlock(block));
    const id = Buffer.from(block.data.id, "hex");
    seen ??= IdIndex.fromIds(Buffer.alloc(ID_BYTES), 1, null).index;
    for (let i = 0; i < run.count; i++) seen.addBytes(run.ids, i * ID_BYTES);
    seen.addBytes(id, 0);
    const all = seen;
    known = { hasBytes: (b, at) => all.hasBytes(b, at) };
    extra.push({ at: index, start, hash, id });
    parent = { index, timestamp: block.timestamp, proof: block.proof, hash };
    from = end;
  }
  return {
    ...joined(runs, extra, first),
    failure,
    notCanonical,
    ...(opts.measureWork ? { leastZeros } : {}),
  };
}

/** Record 0: where it ends, its block, and whether it is the exact record; null when it is not genesis, or why it holds no block. */
function checkGenesis(
  codec: ChainCodec,
  bytes: Buffer,
  first: number,
): { end: number; block: Block; exact: boolean } | string | null {
  const end = codec.recordEnd(bytes, first);
  if (typeof end === "string") return end;
  const record = bytes.subarray(first, end);
  const block = codec.decodeRecord(record);
  if (typeof block === "string") return block;
  if (!isGenesis(block)) return null;
  return {
    end,
    block,
    exact: isExactRecord(codec, block, Buffer.from(encodeBlock(block)), record),
  };
}

/** The genesis id (all zeros), the only id a chain holds before block 1. */
function isZeroId(bytes: Buffer, at: number): boolean {
  for (let i = 0; i < ID_BYTES; i++) if (bytes[at + i] !== 0) return false;
  return true;
}

/** Where the valid records of `run` (checked from `from`) end, relative to `from`. */
function runEnd(codec: ChainCodec, bytes: Buffer, from: number, run: RecordRunResult): number {
  if (run.count === 0) return 0;
  const last = from + (run.starts[run.count - 1] as number);
  return (codec.recordEnd(bytes, last) as number) - from;
}

/** The runs and the non-canonical records between them as one list, genesis first. */
function joined(
  runs: { from: number; run: RecordRunResult }[],
  extra: { at: number; start: number; hash: Buffer; id: Buffer }[],
  first: number,
): { count: number; starts: Float64Array; hashes: Buffer; ids: Buffer } {
  const count = 1 + extra.length + runs.reduce((n, r) => n + r.run.count, 0);
  const starts = new Float64Array(count);
  const hashes = Buffer.allocUnsafe(count * HASH_BYTES);
  const ids = Buffer.alloc(count * ID_BYTES);
  starts[0] = first;
  Buffer.from(GENESIS_HASH, "hex").copy(hashes, 0);
  let at = 1;
  for (const [i, { from, run }] of runs.entries()) {
    for (let r = 0; r < run.count; r++) starts[at + r] = from + (run.starts[r] as number);
    run.hashes.copy(hashes, at * HASH_BYTES);
    run.ids.copy(ids, at * ID_BYTES);
    at += run.count;
    const between = extra[i];
    if (between) {
      starts[at] = between.start;
      between.hash.copy(hashes, at * HASH_BYTES);
      between.id.copy(ids, at * ID_BYTES);
      at++;
    }
  }
  return { count, starts, hashes, ids };
}
