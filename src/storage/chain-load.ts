import { createHash } from "node:crypto";
import type { Block } from "../core/block.js";
import { encodeBlock } from "../core/encoding.js";
import { ORIGINAL_PROOF_RULE } from "../core/pow.js";
import { PROOF_RULE_NAMES, proofRuleNamed } from "../core/proof-rules.js";
import { isGenesis, linkProblem, type ValidationOptions } from "../core/validate.js";
import { ChainLoadError } from "./chain-load-error.js";
import { type CheckedRecords, checkChainRecords } from "./check/chain-check.js";
import type { RecordCheckOptions } from "./check/record-check.js";
import type { ChainCodec } from "./codecs/chain-codec.js";
import type { RecordFile } from "./file/record-file.js";
import { BlockRecords } from "./index/block-records.js";
import type { FileIndex } from "./index/file-index.js";
import { IdIndex } from "./index/id-index.js";
import {
  type NativeChainIndex,
  nativeChainIndex,
  type RecordIndex,
} from "./index/native-chain-index.js";
import { OffsetList } from "./index/offset-list.js";
import { checkChainRecordsInParallel } from "./parallel-check.js";

/** Blocks at the end of a vouched-for file that a start still checks in full (Bitcoin Core's -checkblocks). */
export const TRUSTED_TAIL_CHECKED = 100;

const HASH_BYTES = 32;
const ID_BYTES = 16;
const NEWLINE = 0x0a;

/** A chain read from its file: the records held compactly, and where each data id sits. */
export interface LoadedChain {
  records: BlockRecords;
  /** Data id -> index of the block that holds it. */
  ids: IdIndex;
}

/**
 * A chain file indexed as if its .hash vouched for it, before that is known
 * (the digest runs meanwhile): nothing is checked and nothing thrown yet.
 */
export interface VouchedIndex {
  records: RecordIndex;
  ids: IdIndex;
  /** The first block whose data id an earlier block holds, or -1. */
  duplicate: number;
}

/**
 * Frames the records of a chain file and reads each one's data id and
 * previous_hash in place (in one native pass where the addon is built:
 * `native`), and builds the id index from them; null when a record is not
 * laid out as the codec writes it (the file is then checked in full).
 */
export function indexVouchedChain(
  bytes: Buffer,
  codec: ChainCodec,
  native: NativeChainIndex | null = nativeChainIndex(),
): VouchedIndex | null {
  const records = codec.indexVouched(bytes, native);
  if (records === null) return null;
  const { index: ids, duplicate } = IdIndex.fromIds(records.ids, records.starts.length, native);
  return { records, ids, duplicate };
}

/**
 * Loads a chain file whose bytes its .hash vouches for (the node wrote
 * them) from its index (indexVouchedChain), checking in full only its genesis
 * and its last `tailChecked` blocks: each block's hash is taken from the next
 * record's previous_hash, so nothing is parsed or hashed but the tail.
 * Returns null when there is no index (the caller then checks the file in
 * full). A duplicate id anywhere, or a tail that breaks a rule, throws a
 * ChainLoadError.
 */
export function loadVouchedChain(
  path: string,
  bytes: Buffer,
  codec: ChainCodec,
  opts: ValidationOptions,
  indexed: VouchedIndex | null = indexVouchedChain(bytes, codec),
  tailChecked = TRUSTED_TAIL_CHECKED,
): LoadedChain | null {
  if (indexed === null) return null;
  const { starts, hashes } = indexed.records;
  const count = starts.length;
  const end = (i: number) => (i + 1 < count ? (starts[i + 1] as number) : bytes.length);
  const vouched: VouchedRecords = {
    count,
    ids: indexed.records.ids,
    startOf: (i) => starts[i] as number,
    recordAt: (i) => bytes.subarray(starts[i] as number, end(i)),
  };
  // hashes holds each block's hash as the next record's previous_hash says; the checked tail's are computed.
  checkVouchedTail(path, codec, vouched, indexed, opts, tailChecked, (i, hash) =>
    hashes.write(hash, i * HASH_BYTES, HASH_BYTES, "hex"),
  );
  const records = BlockRecords.inMemory(codec, bytes, new OffsetList(starts), hashes);
  return { records, ids: indexed.ids };
}

/** The records of a file its .hash vouches for, as its index found them. */
export interface VouchedRecords {
  count: number;
  /** Where record i starts. */
  startOf(index: number): number;
  /** 16 raw bytes per record: its data id. */
  ids: Buffer;
  /** The bytes of record i (framing included). */
  recordAt(index: number): Buffer;
}

/**
 * Loads a chain file its .hash vouches for from its index (file-index.ts),
 * read in chunks: the blocks stay in the file (read on demand), and only its
 * genesis and last `tailChecked` blocks are checked in full, as
 * loadVouchedChain. A duplicate id anywhere, or a tail that breaks a rule,
 * throws a ChainLoadError.
 */
export function loadIndexedChain(
  path: string,
  file: RecordFile,
  index: FileIndex,
  codec: ChainCodec,
  opts: ValidationOptions,
  tailChecked = TRUSTED_TAIL_CHECKED,
): LoadedChain {
  const { starts, count, size, idIndex: ids, duplicate } = index;
  const end = (i: number) => (i + 1 < count ? (starts.at(i + 1) as number) : size);
  const vouched: VouchedRecords = {
    count,
    ids: index.ids,
    startOf: (i) => starts.at(i) as number,
    recordAt: (i) => file.read(starts.at(i) as number, end(i)),
  };
  let tipHash = "";
  checkVouchedTail(path, codec, vouched, { ids, duplicate }, opts, tailChecked, (i, hash) => {
    if (i === count - 1) tipHash = hash;
  });
  const records = BlockRecords.onFile(
    codec,
    { file, starts },
    count,
    size,
    Buffer.from(tipHash, "hex"),
  );
  return { records, ids };
}

/**
 * The trusted start's checks of a vouched-for file: no data id twice, block 0
 * the genesis block, and its last `tailChecked` blocks in full (each linked
 * to the one before, each record its block's exact encoding); `onHash` gets
 * each computed hash of the checked tail (the last block's included).
 */
function checkVouchedTail(
  path: string,
  codec: ChainCodec,
  vouched: VouchedRecords,
  indexed: { ids: IdIndex; duplicate: number },
  opts: ValidationOptions,
  tailChecked: number,
  onHash: (index: number, hash: string) => void,
): void {
  const { count } = vouched;
  const { ids, duplicate } = indexed;
  const fail = (code: "INVALID_CHAIN" | "NOT_CANONICAL", index: number, reason: string) =>
    new ChainLoadError(code, path, reason, locateAt(codec, index, vouched.startOf(index)));

  if (duplicate >= 0) {
    const id = vouched.ids.toString("hex", duplicate * ID_BYTES, (duplicate + 1) * ID_BYTES);
    throw fail("INVALID_CHAIN", duplicate, `data id ${id} already appears in an earlier block`);
  }
  const checkFrom = Math.max(1, count - tailChecked);

  const decode = (i: number): Block => {
    const block = codec.decodeRecord(vouched.recordAt(i));
    if (typeof block === "string") throw fail("INVALID_CHAIN", i, block);
    return block;
  };
  if (!isGenesis(decode(0))) throw fail("INVALID_CHAIN", 0, "block 0 is not the genesis block");
  let parent = decode(checkFrom - 1);
  let parentHash = hashChecked(codec, parent, vouched.recordAt(checkFrom - 1), () =>
    fail("NOT_CANONICAL", checkFrom - 1, notCanonical(codec)),
  );
  onHash(checkFrom - 1, parentHash);
  for (let i = checkFrom; i < count; i++) {
    const record = vouched.recordAt(i);
    const block = codec.decodeRecord(record);
    if (typeof block === "string") throw fail("INVALID_CHAIN", i, block);
    const problem = linkProblem(parent, block, opts, parentHash);
    if (problem) throw fail("INVALID_CHAIN", i, problem);
    if (ids.get(block.data.id) !== i) {
      throw fail(
        "INVALID_CHAIN",
        i,
        `data id ${block.data.id} already appears in an earlier block`,
      );
    }
    parentHash = hashChecked(codec, block, record, () =>
      fail("NOT_CANONICAL", i, notCanonical(codec)),
    );
    onHash(i, parentHash);
    parent = block;
  }
}

/**
 * Checks every record of a chain file in full (SPEC section 3, and each
 * record the exact encoding of its block), hashing each block once, on the
 * native path where the addon is built. `bytes` are the file as it will
 * stand (its sound part plus any completion). Throws a ChainLoadError naming
 * the first failing block: INVALID_CHAIN, BAD_RECORD or BAD_CRC (a record
 * that holds no block), or NOT_CANONICAL when the chain is valid but a
 * record is not its block's encoding. A file with no whole record gives null.
 * With measureWork, `leastZeros` is the most difficulty every proof meets.
 */
export function loadCheckedChain(
  path: string,
  bytes: Buffer,
  codec: ChainCodec,
  opts: RecordCheckOptions,
): CheckedChain | null {
  if (bytes.length <= codec.header.length) return null;
  return loadedFrom(path, bytes, codec, opts, checkChainRecords(codec, bytes, opts));
}

/**
 * loadCheckedChain on several threads where it pays: `bytes` in shared
 * memory (a SharedArrayBuffer) and large (parallel-check.ts); the same result.
 */
export async function loadCheckedChainInParallel(
  path: string,
  bytes: Buffer,
  codec: ChainCodec,
  opts: RecordCheckOptions,
): Promise<CheckedChain | null> {
  if (bytes.length <= codec.header.length) return null;
  const checked = await checkChainRecordsInParallel(codec, bytes, opts);
  return loadedFrom(path, bytes, codec, opts, checked);
}

/** A chain checked in full, with the most difficulty every proof meets when asked (measureWork). */
export type CheckedChain = LoadedChain & { leastZeros?: number };

/** The chain the check found valid, or the ChainLoadError for its first failure. */
function loadedFrom(
  path: string,
  bytes: Buffer,
  codec: ChainCodec,
  opts: RecordCheckOptions,
  checked: CheckedRecords,
): CheckedChain {
  const { count, starts, failure } = checked;
  if (failure !== null) {
    const offset =
      failure.index < count
        ? (starts[failure.index] as number)
        : count === 0
          ? codec.header.length
          : (codec.recordEnd(bytes, starts[count - 1] as number) as number);
    const where = locateAt(codec, failure.index, offset);
    if (failure.damaged) throw new ChainLoadError(failure.damaged, path, failure.reason, where);
    if (linksToRawRecord(codec, bytes, starts, count, failure.index)) {
      // The fault is the record before: the next block's link only shows it.
      const index = failure.index - 1;
      const reason = `${notCanonical(codec)} (block ${failure.index} links to the hash of its bytes as they are)`;
      throw new ChainLoadError(
        "NOT_CANONICAL",
        path,
        reason,
        locateAt(codec, index, starts[index] as number),
      );
    }
    const hint = failure.index === 0 ? "" : otherRuleHint(codec, bytes, opts);
    throw new ChainLoadError("INVALID_CHAIN", path, failure.reason + hint, where);
  }
  // Exact bytes, not just equal values: a re-encode that differs would change the .hash
  // and, in JSON, could hide bytes that are not UTF-8. A broken rule is told first.
  if (checked.notCanonical >= 0) {
    const index = checked.notCanonical;
    const where = locateAt(codec, index, starts[index] as number);
    throw new ChainLoadError("NOT_CANONICAL", path, notCanonical(codec), where);
  }
  const { index: ids, duplicate } = IdIndex.fromIds(checked.ids, count, nativeChainIndex());
  if (duplicate >= 0) throw new Error(`the record check let a repeated id through at ${duplicate}`);
  const records = BlockRecords.inMemory(codec, bytes, new OffsetList(starts), checked.hashes);
  return {
    records,
    ids,
    ...(checked.leastZeros !== undefined ? { leastZeros: checked.leastZeros } : {}),
  };
}

/**
 * Whether block `index` fails only because it links to the raw bytes of the
 * record before it, which is valid but not its block's canonical encoding
 * (JSON Lines: bytes that are not UTF-8 decode to U+FFFD, so the block's hash
 * is taken over other bytes than the line's). Then the record before is the
 * one to name, not the block whose link merely shows it.
 */
function linksToRawRecord(
  codec: ChainCodec,
  bytes: Buffer,
  starts: ArrayLike<number>,
  count: number,
  index: number,
): boolean {
  if (codec.format !== "json" || index < 1 || index - 1 >= count) return false;
  const start = starts[index - 1] as number;
  const end = codec.recordEnd(bytes, start);
  if (typeof end === "string") return false;
  const nextEnd = codec.recordEnd(bytes, end);
  if (typeof nextEnd === "string") return false;
  const before = codec.decodeRecord(bytes.subarray(start, end));
  const block = codec.decodeRecord(bytes.subarray(end, nextEnd));
  if (typeof before === "string" || typeof block === "string") return false;
  const canonical = Buffer.from(encodeBlock(before), "utf8");
  const raw = bytes.subarray(start, end - 1);
  if (raw.equals(canonical)) return false;
  return block.previous_hash === createHash("sha256").update(raw).digest("hex");
}

/**
 * The hash of `block`, from its canonical encoding made once; `onDiffer` is
 * called (and what it returns thrown, if anything) when `record` is not the
 * codec's exact record of the block.
 */
function hashChecked(
  codec: ChainCodec,
  block: Block,
  record: Buffer,
  onDiffer: () => Error | null,
): string {
  const canonical = Buffer.from(encodeBlock(block), "utf8");
  const exact =
    codec.format === "json"
      ? record.length === canonical.length + 1 &&
        record[canonical.length] === NEWLINE &&
        record.subarray(0, canonical.length).equals(canonical)
      : codec.encodeRecord(block).equals(record);
  if (!exact) {
    const err = onDiffer();
    if (err) throw err;
  }
  return createHash("sha256").update(canonical).digest("hex");
}

/**
 * For a chain invalid under the asked rule: which other proof rule it follows,
 * as a sentence to append to the reason (a node started with the wrong
 * --proof-rule gets told the right one), or "" when no rule makes it valid.
 */
function otherRuleHint(codec: ChainCodec, bytes: Buffer, opts: ValidationOptions): string {
  const rule = opts.rule ?? ORIGINAL_PROOF_RULE;
  const others = PROOF_RULE_NAMES.filter(
    (name) =>
      name !== rule.name &&
      checkChainRecords(codec, bytes, { ...opts, rule: proofRuleNamed(name), measureWork: false })
        .failure === null,
  );
  if (others.length === 0) return "";
  const names = others.map((name) => `'${name}'`).join(" or ");
  return ` (the file seems to follow the ${names} proof rule, not '${rule.name}': try --proof-rule ${others[0]})`;
}

function notCanonical(codec: ChainCodec): string {
  return `the record is not the ${codec.format === "json" ? "canonical encoding" : "exact binary encoding"} of its block`;
}

function locateAt(
  codec: ChainCodec,
  index: number,
  offset: number,
): { index: number; line?: number; offset: number } {
  return codec.format === "json" ? { index, line: index + 1, offset } : { index, offset };
}
