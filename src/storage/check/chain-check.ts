import type { Block } from "../../core/block.js";
import { encodeBlock } from "../../core/encoding.js";
import { GENESIS_HASH } from "../../core/genesis.js";
import { sha256Bytes } from "../../core/hash.js";
import { MAX_DIFFICULTY } from "../../core/pow.js";
import { isGenesis } from "../../core/validate.js";
import type { ChainCodec } from "../codecs/chain-codec.js";
import { IdIndex } from "../index/id-index.js";
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

/** Records checked in full: the valid ones with their hashes and ids, and the first failure. */
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
  /** The chain index of the first valid block whose record is not its exact encoding, or -1. */
  notCanonical: number;
  /** With measureWork: the fewest trailing zeros of any canonical record's proof digest (64 when none). */
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
  end = bytes.length,
): CheckedRecords {
  const first = codec.header.length;
  const genesis = checkGenesis(codec, bytes, first);
  if (typeof genesis === "string" || genesis === null) {
    const failure: RecordRunFailure =
      genesis === null
        ? { index: 0, reason: "block 0 is not the genesis block" }
        : { index: 0, reason: genesis, damaged: "BAD_RECORD" };
    return { ...joined([], [], null), failure, notCanonical: -1, ...work(opts, MAX_DIFFICULTY) };
  }
  const parent: RunParent = {
    index: 0,
    timestamp: genesis.block.timestamp,
    proof: genesis.block.proof,
    hash: Buffer.from(GENESIS_HASH, "hex"),
  };
  const genesisId = Buffer.alloc(ID_BYTES); // all zeros
  const head = { start: first, hash: parent.hash, id: genesisId };
  const rest = checkRecordsFrom(codec, bytes, genesis.end, end, parent, genesisId, opts, head);
  return { ...rest, notCanonical: genesis.exact ? rest.notCanonical : 0 };
}

/**
 * Checks the records of bytes[from, to) that follow `parent`, whose data ids
 * must not repeat `before` (16 raw bytes each, or ids known otherwise: an
 * index of the chain before a chunk of its file) nor each other; as
 * checkChainRecords, a valid record that is not canonical is noted and the
 * check goes on after it. `head`, when given, is listed first in the result.
 */
export function checkRecordsFrom(
  codec: ChainCodec,
  bytes: Buffer,
  from: number,
  to: number,
  parent: RunParent,
  before: Buffer | KnownIds,
  opts: RecordCheckOptions,
  head: Listed | null = null,
): CheckedRecords {
  // Most runs are one; a record that is not canonical starts another after it.
  const runs: { from: number; run: RecordRunResult }[] = [];
  const between: Listed[] = [];
  let notCanonical = -1;
  let failure: RecordRunFailure | null = null;
  let leastZeros = MAX_DIFFICULTY;
  const earlier = Buffer.isBuffer(before) ? idsIn(before) : before;
  let known = earlier;
  let seen: IdIndex | null = null;
  let at = from;
  let follows = parent;
  for (;;) {
    const run = checkRecordRun(codec, bytes.subarray(at, to), follows, known, opts);
    runs.push({ from: at, run });
    leastZeros = Math.min(leastZeros, run.leastZeros ?? MAX_DIFFICULTY);
    if (run.failure === null) break;
    if (!run.failure.notCanonical) {
      failure = run.failure;
      break;
    }
    // Valid but not canonical: noted, taken as it is, and the check goes on after it.
    const index = run.failure.index;
    if (notCanonical < 0) notCanonical = index;
    const start = at + runEnd(codec, bytes, at, run);
    const end = codec.recordEnd(bytes, start) as number;
    const block = codec.decodeRecord(bytes.subarray(start, end)) as Block;
    const listed = {
      start,
      hash: sha256Bytes(encodeBlock(block)),
      id: Buffer.from(block.data.id, "hex"),
    };
    seen ??= Buffer.isBuffer(before) ? indexOf(before) : new IdIndex();
    for (let i = 0; i < run.count; i++) seen.addBytes(run.ids, i * ID_BYTES);
    seen.addBytes(listed.id, 0);
    const all = seen;
    known = Buffer.isBuffer(before)
      ? { hasBytes: (b, offset) => all.hasBytes(b, offset) }
      : { hasBytes: (b, offset) => all.hasBytes(b, offset) || earlier.hasBytes(b, offset) };
    between.push(listed);
    follows = { index, timestamp: block.timestamp, proof: block.proof, hash: listed.hash };
    at = end;
  }
  return { ...joined(runs, between, head), failure, notCanonical, ...work(opts, leastZeros) };
}

/** A record listed apart from the runs: genesis, or one that is valid but not canonical. */
export interface Listed {
  start: number;
  hash: Buffer;
  id: Buffer;
}

/** An IdIndex of the ids in `before` (16 raw bytes each). */
function indexOf(before: Buffer): IdIndex {
  const index = new IdIndex();
  for (let at = 0; at < before.length; at += ID_BYTES) index.addBytes(before, at);
  return index;
}

function work(opts: RecordCheckOptions, leastZeros: number): { leastZeros?: number } {
  return opts.measureWork ? { leastZeros } : {};
}

/** The ids in `before` (16 raw bytes each) as KnownIds: a plain scan, as there are few (genesis's). */
function idsIn(before: Buffer): KnownIds {
  return {
    few: before,
    hasBytes: (bytes, at) => {
      // Byte by byte in JavaScript: a native compare per id costs more than the 16 bytes.
      for (let i = 0; i < before.length; i += ID_BYTES) {
        let same = true;
        for (let j = 0; j < ID_BYTES && same; j++) same = bytes[at + j] === before[i + j];
        if (same) return true;
      }
      return false;
    },
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

/** Where the valid records of `run` (checked from `from`) end, relative to `from`. */
function runEnd(codec: ChainCodec, bytes: Buffer, from: number, run: RecordRunResult): number {
  if (run.count === 0) return 0;
  const last = from + (run.starts[run.count - 1] as number);
  return (codec.recordEnd(bytes, last) as number) - from;
}

/** `head`, then the runs with the listed records between them, as one list. */
function joined(
  runs: { from: number; run: RecordRunResult }[],
  between: Listed[],
  head: Listed | null,
): { count: number; starts: Float64Array; hashes: Buffer; ids: Buffer } {
  const count = (head ? 1 : 0) + between.length + runs.reduce((n, r) => n + r.run.count, 0);
  const starts = new Float64Array(count);
  const hashes = Buffer.allocUnsafe(count * HASH_BYTES);
  const ids = Buffer.allocUnsafe(count * ID_BYTES);
  let at = 0;
  const list = (one: Listed) => {
    starts[at] = one.start;
    one.hash.copy(hashes, at * HASH_BYTES);
    one.id.copy(ids, at * ID_BYTES);
    at++;
  };
  if (head) list(head);
  for (const [i, { from, run }] of runs.entries()) {
    for (let r = 0; r < run.count; r++) starts[at + r] = from + (run.starts[r] as number);
    run.hashes.copy(hashes, at * HASH_BYTES);
    run.ids.copy(ids, at * ID_BYTES);
    at += run.count;
    const next = between[i];
    if (next) list(next);
  }
  return { count, starts, hashes, ids };
}
