import type { Block } from "../../core/block.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../../core/data.js";
import { encodeBlock } from "../../core/encoding.js";
import { sha256Bytes, sha256Hex } from "../../core/hash.js";
import {
  candidateOf,
  checkDifficulty,
  MAX_DIFFICULTY,
  ORIGINAL_PROOF_RULE,
  type ProofRule,
  trailingZeroDigits,
} from "../../core/pow.js";
import {
  FUTURE_REASON,
  linkProblem,
  MAX_FUTURE_DRIFT_MS,
  type ValidationOptions,
} from "../../core/validate.js";
import { BAD_CRC } from "../codecs/binary-codec.js";
import type { ChainCodec } from "../codecs/chain-codec.js";
import { IdIndex } from "../index/id-index.js";
import { nativeChainIndex } from "../index/native-chain-index.js";
import {
  type NativeRecordCheck,
  nativeRecordCheck,
  RECORD_PARAMS as P,
} from "./native-record-check.js";

const HASH_BYTES = 32;
const ID_BYTES = 16;
const NEWLINE = 0x0a;

/** The block a run of records follows: what its first record is checked against. */
export interface RunParent {
  index: number;
  timestamp: number;
  proof: number | null;
  /** Its block hash, 32 raw bytes. */
  hash: Buffer;
}

/** The data ids already in the chain before the run (e.g. an IdIndex). */
export interface KnownIds {
  /** Whether the id given as 16 raw bytes at `at` of `bytes` is among them. */
  hasBytes(bytes: Buffer, at: number): boolean;
  /**
   * The first of ids [from, to) (16 raw bytes each in `ids`) among them, or
   * -1: where given, a run's ids are checked in one call (natively, in bulk).
   */
  firstKnown?(ids: Buffer, from: number, to: number): number;
  /**
   * When they are few (a chain's genesis alone, say): all of them, 16 raw
   * bytes each, so that they are looked up among the run's ids instead of
   * each of the run's ids among them.
   */
  few?: Buffer;
}

/** Why a run of records stops being valid: the first bad block and the reason. */
export interface RecordRunFailure {
  /** The chain index of the first bad block. */
  index: number;
  reason: string;
  /** The only fault is a timestamp past the validator's clock + 2 h (no proof of misbehaviour). */
  future?: boolean;
  /** The block is valid, but its record is not the codec's exact encoding of it. */
  notCanonical?: boolean;
  /** The record holds no block: cut short or damaged (BAD_CRC: its CRC fails), not a broken rule. */
  damaged?: "BAD_RECORD" | "BAD_CRC";
}

/** What checkRecordRun checks by, and what else it measures. */
export interface RecordCheckOptions extends ValidationOptions {
  /** Give `leastZeros` in the result (it costs the TypeScript path one more hash a block). */
  measureWork?: boolean;
}

/** What checkRecordRun found: the valid leading records, with their hashes and ids. */
export interface RecordRunResult {
  /** How many leading records are valid (all of them when failure is null). */
  count: number;
  /** Where each valid record starts in the bytes checked. */
  starts: number[];
  /** 32 raw bytes per valid record: its block hash. */
  hashes: Buffer;
  /** 16 raw bytes per valid record: its data id. */
  ids: Buffer;
  failure: RecordRunFailure | null;
  /**
   * With measureWork: the fewest trailing zero hex digits of any valid
   * record's proof digest (the most difficulty they all meet), 64 when none.
   */
  leastZeros?: number;
}

/**
 * Validates a run of records (the codec's record format, no file header)
 * that follows `parent`: each record whole and sound, its block valid after
 * the one before (core/validate.ts linkProblem: same rules, same reasons),
 * its data id in neither `known` nor earlier in the run, and the record the
 * exact encoding of its block (JSON Lines: the canonical encoding and "\n").
 * Each block is hashed once. Stops at the first bad record.
 */
export function checkRecordRun(
  codec: ChainCodec,
  bytes: Buffer,
  parent: RunParent,
  known: KnownIds,
  opts: RecordCheckOptions,
): RecordRunResult {
  const native = nativeChecker();
  if (native === null) return checkRecordRunJs(codec, bytes, parent, known, opts);
  return checkRecordRunNative(codec, bytes, parent, known, opts, native);
}

let chosen: NativeRecordCheck | null | undefined;

/** The native record check BLOCKCHAIN_NATIVE asks for (chosen once), or null: TypeScript checks. */
export function nativeChecker(): NativeRecordCheck | null {
  if (chosen === undefined) chosen = nativeRecordCheck();
  return chosen;
}

/**
 * The fewest bytes of a record the native check accepts, per format: the
 * bound on how many records a run of bytes holds (so on the output sizes).
 */
const MIN_RECORD_BYTES = { json: 160, binary: 64 } as const;

/**
 * checkRecordRun on the native path: the addon checks every record it can
 * prove valid in one call; at a record it does not accept (a broken rule, or
 * a form it leaves to TypeScript, e.g. a binary UTF-16 message) the
 * TypeScript check judges that one record, so that reasons are its own, and
 * the addon goes on after it when it was valid. The ids are checked last,
 * over the whole run: the first id seen before (in the run or the chain)
 * cuts the run there, and TypeScript gives the reason for that record.
 */
export function checkRecordRunNative(
  codec: ChainCodec,
  bytes: Buffer,
  parent: RunParent,
  known: KnownIds,
  opts: RecordCheckOptions,
  native: NativeRecordCheck,
): RecordRunResult {
  checkDifficulty(opts.difficulty);
  const rule = opts.rule ?? ORIGINAL_PROOF_RULE;
  if (rule.name !== "original" && rule.name !== "content") {
    return checkRecordRunJs(codec, bytes, parent, known, opts);
  }
  const options = { ...opts, now: opts.now ?? Date.now() };
  const out = new NativeOutput(Math.floor(bytes.length / MIN_RECORD_BYTES[codec.format]) + 1);
  const params = new Float64Array(P.count);
  params[P.json] = codec.format === "json" ? 1 : 0;
  params[P.contentRule] = rule.name === "content" ? 1 : 0;
  params[P.difficulty] = opts.difficulty;
  params[P.latestTimestamp] = options.now + MAX_FUTURE_DRIFT_MS;
  params[P.maxMessageBytes] = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  params[P.parentIndex] = parent.index;
  params[P.parentTimestamp] = parent.timestamp;
  params[P.parentProof] = parent.proof ?? -1;
  params[P.leastZeros] = MAX_DIFFICULTY;

  // The run's ids as an IdIndex, made only when TypeScript judges a record (they are `known` to it).
  let runIds: IdIndex | null = null;
  const knownBefore = (stop: number): KnownIds => {
    if (runIds === null) runIds = new IdIndex(stop + 16);
    for (let i = runIds.size; i < stop; i++) runIds.addBytes(out.ids, i * ID_BYTES);
    const run = runIds;
    return { hasBytes: (b, at) => known.hasBytes(b, at) || run.hasBytes(b, at) };
  };
  const hashOf = (i: number) =>
    i < 0 ? parent.hash : out.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  /** TypeScript's verdict on the one record at `start`, which follows record `stop` - 1. */
  const judge = (stop: number, start: number, follows: RunParent) => {
    const end = codec.recordEnd(bytes, start);
    const record = typeof end === "number" ? bytes.subarray(start, end) : bytes.subarray(start);
    const measured = { ...options, measureWork: true };
    return { end, ...checkRecordRunJs(codec, record, follows, knownBefore(stop), measured) };
  };

  let failure: RecordRunFailure | null = null;
  for (;;) {
    params[P.capacity] = out.capacity;
    const from = params[P.at] as number;
    native.checkRecords(bytes, hashOf(from - 1), out.starts, out.hashes, out.ids, params);
    const at = params[P.at] as number;
    const pos = params[P.pos] as number;
    if (pos === bytes.length) break;
    if (at === out.capacity) {
      out.grow();
      continue;
    }
    // The addon stopped at a record it does not accept: TypeScript judges it.
    const judged = judge(at, pos, {
      index: params[P.parentIndex] as number,
      timestamp: params[P.parentTimestamp] as number,
      proof: (params[P.parentProof] as number) < 0 ? null : (params[P.parentProof] as number),
      hash: hashOf(at - 1),
    });
    if (judged.failure !== null || typeof judged.end !== "number") {
      failure = judged.failure;
      break;
    }
    // Valid after all (a form the addon leaves to TypeScript): taken, and the addon goes on after it.
    const block = codec.decodeRecord(bytes.subarray(pos, judged.end)) as Block;
    out.starts[at] = pos;
    judged.hashes.copy(out.hashes, at * HASH_BYTES);
    judged.ids.copy(out.ids, at * ID_BYTES);
    params[P.at] = at + 1;
    params[P.pos] = judged.end;
    params[P.parentIndex] = block.index;
    params[P.parentTimestamp] = block.timestamp;
    params[P.parentProof] = block.proof ?? -1;
    params[P.leastZeros] = Math.min(params[P.leastZeros] as number, judged.leastZeros as number);
    if (judged.end === bytes.length) break;
  }

  let count = params[P.at] as number;
  const run = IdIndex.fromIds(out.ids, count, nativeChainIndex());
  const repeated = run.duplicate;
  const clash =
    known.few && repeated < 0
      ? firstOfFew(known.few, run.index)
      : firstKnown(known, out.ids, 0, repeated < 0 ? count : repeated);
  const first = clash >= 0 ? clash : repeated;
  if (first >= 0) {
    // Valid in every other way: TypeScript gives the reason (and must fail it).
    const start = out.starts[first] as number;
    const previous =
      first === 0
        ? parent
        : {
            ...(codec.decodeRecord(
              bytes.subarray(out.starts[first - 1] as number, start),
            ) as Block),
            hash: hashOf(first - 1),
          };
    failure = judge(first, start, previous).failure;
    if (failure === null) {
      throw new Error(`the record checks disagree on block ${parent.index + 1 + first}`);
    }
    count = first;
  }
  // The records cut off by a repeated id may have lowered it: measured again over the valid ones.
  const leastZeros =
    first >= 0 && opts.measureWork
      ? leastZerosOf(codec, bytes, out, count, parent, rule)
      : (params[P.leastZeros] as number);
  return { ...out.result(count, failure), ...(opts.measureWork ? { leastZeros } : {}) };
}

/** The fewest trailing zeros of the proof digests of the first `count` records (a rare slow path). */
function leastZerosOf(
  codec: ChainCodec,
  bytes: Buffer,
  out: NativeOutput,
  count: number,
  parent: RunParent,
  rule: ProofRule,
): number {
  let least = MAX_DIFFICULTY;
  let previous: Pick<Block, "proof"> = parent;
  for (let i = 0; i < count; i++) {
    const start = out.starts[i] as number;
    const block = codec.decodeRecord(
      bytes.subarray(start, codec.recordEnd(bytes, start) as number),
    ) as Block;
    const digest = sha256Bytes(
      candidateOf(rule.searchInput(block, previous as Block), block.proof as number),
    );
    least = Math.min(least, trailingZeroDigits(digest));
    previous = block;
  }
  return least;
}

/** The first record of a run (its ids in `run`) that holds one of the `few` ids, or -1. */
function firstOfFew(few: Buffer, run: IdIndex): number {
  let first = -1;
  for (let at = 0; at < few.length; at += ID_BYTES) {
    const index = run.indexOfBytes(few, at);
    if (index !== undefined && (first < 0 || index < first)) first = index;
  }
  return first;
}

/** The first record of [from, to) whose id (in `ids`) the chain holds, or -1. */
function firstKnown(known: KnownIds, ids: Buffer, from: number, to: number): number {
  if (known.firstKnown) return known.firstKnown(ids, from, to);
  for (let i = from; i < to; i++) if (known.hasBytes(ids, i * ID_BYTES)) return i;
  return -1;
}

/** The buffers the addon writes into, grown when a run holds more records than their bound. */
class NativeOutput {
  starts: Float64Array;
  hashes: Buffer;
  ids: Buffer;

  constructor(public capacity: number) {
    this.starts = new Float64Array(capacity);
    this.hashes = Buffer.allocUnsafe(capacity * HASH_BYTES);
    this.ids = Buffer.allocUnsafe(capacity * ID_BYTES);
  }

  grow(): void {
    const bigger = new NativeOutput(this.capacity * 2);
    bigger.starts.set(this.starts);
    this.hashes.copy(bigger.hashes);
    this.ids.copy(bigger.ids);
    Object.assign(this, bigger);
  }

  result(count: number, failure: RecordRunFailure | null): RecordRunResult {
    const starts = new Array<number>(count);
    for (let i = 0; i < count; i++) starts[i] = this.starts[i] as number;
    return {
      count,
      starts,
      hashes: fitted(this.hashes, count * HASH_BYTES),
      ids: fitted(this.ids, count * ID_BYTES),
      failure,
    };
  }
}

/** The first `size` bytes of `buffer`: a view when that is most of it, else a copy (the rest is not kept alive). */
function fitted(buffer: Buffer, size: number): Buffer {
  return size * 8 >= buffer.length * 7
    ? buffer.subarray(0, size)
    : Buffer.from(buffer.subarray(0, size));
}
/** The TypeScript implementation of checkRecordRun (also the reference the native one is held to). */
export function checkRecordRunJs(
  codec: ChainCodec,
  bytes: Buffer,
  parent: RunParent,
  known: KnownIds,
  opts: RecordCheckOptions,
): RecordRunResult {
  checkDifficulty(opts.difficulty);
  const options = { ...opts, now: opts.now ?? Date.now() };
  const rule = opts.rule ?? ORIGINAL_PROOF_RULE;
  let leastZeros = MAX_DIFFICULTY;
  const starts: number[] = [];
  let hashes: Buffer = Buffer.allocUnsafe(HASH_BYTES * 64);
  let ids: Buffer = Buffer.allocUnsafe(ID_BYTES * 64);
  const runIds = new Set<string>();
  // linkProblem reads only the parent's index, timestamp and proof, and takes its hash apart.
  let previous: Block = {
    index: parent.index,
    timestamp: parent.timestamp,
    proof: parent.proof,
    data: { id: "", message: "" },
    previous_hash: null,
  };
  let previousHash = parent.hash.toString("hex");
  let failure: RecordRunFailure | null = null;
  for (let pos = 0; pos < bytes.length; ) {
    const i = starts.length;
    const index = parent.index + 1 + i;
    const end = codec.recordEnd(bytes, pos);
    if (typeof end === "string") {
      failure = { index, reason: end, damaged: damageOf(end) };
      break;
    }
    const record = bytes.subarray(pos, end);
    const block = codec.decodeRecord(record);
    if (typeof block === "string") {
      failure = { index, reason: block, damaged: "BAD_RECORD" };
      break;
    }
    const problem = linkProblem(previous, block, options, previousHash);
    if (problem !== null) {
      failure =
        problem === FUTURE_REASON
          ? { index, reason: problem, future: true }
          : { index, reason: problem };
      break;
    }
    if (ids.length < (i + 1) * ID_BYTES) {
      ids = grown(ids);
      hashes = grown(hashes);
    }
    const id = block.data.id;
    ids.write(id, i * ID_BYTES, ID_BYTES, "hex");
    if (runIds.has(id) || known.hasBytes(ids, i * ID_BYTES)) {
      failure = { index, reason: `data id ${id} already appears in an earlier block` };
      break;
    }
    const canonical = Buffer.from(encodeBlock(block), "utf8");
    if (!isExactRecord(codec, block, canonical, record)) {
      failure = { index, reason: notCanonicalReason(codec), notCanonical: true };
      break;
    }
    runIds.add(id);
    previousHash = sha256Hex(canonical);
    hashes.write(previousHash, i * HASH_BYTES, HASH_BYTES, "hex");
    if (opts.measureWork) {
      const digest = sha256Bytes(
        candidateOf(rule.searchInput(block, previous), block.proof as number),
      );
      leastZeros = Math.min(leastZeros, trailingZeroDigits(digest));
    }
    starts.push(pos);
    previous = block;
    pos = end;
  }
  const count = starts.length;
  return {
    count,
    starts,
    hashes: hashes.subarray(0, count * HASH_BYTES),
    ids: ids.subarray(0, count * ID_BYTES),
    failure,
    ...(opts.measureWork ? { leastZeros } : {}),
  };
}

/** The code of a record's damage from the reason framing gives. */
function damageOf(reason: string): "BAD_RECORD" | "BAD_CRC" {
  return reason === BAD_CRC ? "BAD_CRC" : "BAD_RECORD";
}

/**
 * Whether `record` is exactly the codec's record of `block`, whose canonical
 * encoding is `canonical`. Bytes, not decoded values: a JSON line holding
 * bytes that are not UTF-8 decodes to the same text as its canonical form.
 */
export function isExactRecord(
  codec: ChainCodec,
  block: Block,
  canonical: Buffer,
  record: Buffer,
): boolean {
  if (codec.format !== "json") return codec.encodeRecord(block).equals(record);
  return (
    record.length === canonical.length + 1 &&
    record[canonical.length] === NEWLINE &&
    record.subarray(0, canonical.length).equals(canonical)
  );
}

/** The reason given for a valid block whose record is not its exact encoding. */
export function notCanonicalReason(codec: ChainCodec): string {
  return `the record is not the ${codec.format === "json" ? "canonical encoding" : "exact binary encoding"} of its block`;
}

function grown(buffer: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(bigger);
  return bigger;
}
