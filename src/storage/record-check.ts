import type { Block } from "../core/block.js";
import { encodeBlock } from "../core/encoding.js";
import { sha256Hex } from "../core/hash.js";
import { checkDifficulty } from "../core/pow.js";
import { FUTURE_REASON, linkProblem, type ValidationOptions } from "../core/validate.js";
import type { ChainCodec } from "./chain-codec.js";

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
  opts: ValidationOptions,
): RecordRunResult {
  checkDifficulty(opts.difficulty);
  return checkRecordRunJs(codec, bytes, parent, known, { ...opts, now: opts.now ?? Date.now() });
}

/** The TypeScript implementation of checkRecordRun (also the reference the native one is held to). */
export function checkRecordRunJs(
  codec: ChainCodec,
  bytes: Buffer,
  parent: RunParent,
  known: KnownIds,
  opts: ValidationOptions,
): RecordRunResult {
  checkDifficulty(opts.difficulty);
  const options = { ...opts, now: opts.now ?? Date.now() };
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
      failure = { index, reason: end };
      break;
    }
    const record = bytes.subarray(pos, end);
    const block = codec.decodeRecord(record);
    if (typeof block === "string") {
      failure = { index, reason: block };
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
  };
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
