import { createHash } from "node:crypto";
import type { Block } from "../core/block.js";
import { encodeBlock } from "../core/encoding.js";
import { ORIGINAL_PROOF_RULE } from "../core/pow.js";
import { otherRulesValidating } from "../core/proof-rules.js";
import { isGenesis, linkProblem, type ValidationOptions } from "../core/validate.js";
import { BlockRecords } from "./block-records.js";
import type { ChainCodec, DecodedChainFile } from "./chain-codec.js";
import { ChainLoadError } from "./chain-load-error.js";
import { IdIndex } from "./id-index.js";
import { type NativeChainIndex, nativeChainIndex, type RecordIndex } from "./native-chain-index.js";
import { OffsetList } from "./offset-list.js";

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
  const { ids, duplicate } = indexed;
  const count = starts.length;
  const end = (i: number) => (i + 1 < count ? (starts[i + 1] as number) : bytes.length);
  const fail = (code: "INVALID_CHAIN" | "NOT_CANONICAL", index: number, reason: string) =>
    new ChainLoadError(code, path, reason, locate(codec, starts, index));

  if (duplicate >= 0) {
    const id = indexed.records.ids.toString(
      "hex",
      duplicate * ID_BYTES,
      (duplicate + 1) * ID_BYTES,
    );
    throw fail("INVALID_CHAIN", duplicate, `data id ${id} already appears in an earlier block`);
  }
  // hashes holds each block's hash as the next record's previous_hash says; the checked tail's are computed.
  const checkFrom = Math.max(1, count - tailChecked);

  const decode = (i: number): Block => {
    const block = codec.decodeRecord(bytes.subarray(starts[i] as number, end(i)));
    if (typeof block === "string") throw fail("INVALID_CHAIN", i, block);
    return block;
  };
  if (!isGenesis(decode(0))) throw fail("INVALID_CHAIN", 0, "block 0 is not the genesis block");
  let parent = decode(checkFrom - 1);
  const parentRecord = bytes.subarray(starts[checkFrom - 1] as number, end(checkFrom - 1));
  let parentHash = hashChecked(codec, parent, parentRecord, () =>
    fail("NOT_CANONICAL", checkFrom - 1, notCanonical(codec)),
  );
  hashes.write(parentHash, (checkFrom - 1) * HASH_BYTES, HASH_BYTES, "hex");
  for (let i = checkFrom; i < count; i++) {
    const block = decode(i);
    const problem = linkProblem(parent, block, opts, parentHash);
    if (problem) throw fail("INVALID_CHAIN", i, problem);
    if (ids.get(block.data.id) !== i) {
      throw fail(
        "INVALID_CHAIN",
        i,
        `data id ${block.data.id} already appears in an earlier block`,
      );
    }
    const record = bytes.subarray(starts[i] as number, end(i));
    parentHash = hashChecked(codec, block, record, () =>
      fail("NOT_CANONICAL", i, notCanonical(codec)),
    );
    hashes.write(parentHash, i * HASH_BYTES, HASH_BYTES, "hex");
    parent = block;
  }
  const records = new BlockRecords(codec, bytes, bytes.length, new OffsetList(starts), hashes);
  return { records, ids };
}

/**
 * Checks every record of a decoded chain file in full (SPEC section 3, and
 * each record the exact encoding of its block), hashing each block once.
 * `bytes` are the records as they will stand (the sound part plus any
 * completion). Throws a ChainLoadError (INVALID_CHAIN, or NOT_CANONICAL when
 * the chain is valid but a record is not its block's encoding) naming the
 * first failing block. A file with no whole record gives null.
 */
export function loadCheckedChain(
  path: string,
  bytes: Buffer,
  file: DecodedChainFile,
  codec: ChainCodec,
  opts: ValidationOptions,
): LoadedChain | null {
  const count = file.records.length;
  if (count === 0) return null;
  const starts = file.offsets.slice();
  const end = (i: number) => starts[i + 1] ?? bytes.length;
  const fail = (code: "INVALID_CHAIN" | "NOT_CANONICAL", index: number, reason: string) =>
    new ChainLoadError(code, path, reason, locate(codec, starts, index));
  if (!isGenesis(file.records[0]))
    throw fail("INVALID_CHAIN", 0, "block 0 is not the genesis block");

  const invalid = (index: number, reason: string) =>
    fail("INVALID_CHAIN", index, reason + otherRuleHint(file.records, opts));
  const ids = new IdIndex(count);
  const hashes = Buffer.allocUnsafe(count * HASH_BYTES);
  let firstNotCanonical = -1;
  let parent = file.records[0] as Block;
  let parentHash = "";
  for (let i = 0; i < count; i++) {
    const block = file.records[i] as Block;
    if (i > 0) {
      const problem = linkProblem(parent, block, opts, parentHash);
      if (problem) throw invalid(i, problem);
    }
    if (ids.add(block.data.id) !== undefined) {
      throw invalid(i, `data id ${block.data.id} already appears in an earlier block`);
    }
    const record = bytes.subarray(starts[i] as number, end(i));
    parentHash = hashChecked(codec, block, record, () => {
      if (firstNotCanonical < 0) firstNotCanonical = i;
      return null;
    });
    hashes.write(parentHash, i * HASH_BYTES, HASH_BYTES, "hex");
    parent = block;
  }
  // Exact bytes, not just equal values: a re-encode that differs would change the .hash
  // and, in JSON, could hide bytes that are not UTF-8. A broken rule is told first.
  if (firstNotCanonical >= 0) throw fail("NOT_CANONICAL", firstNotCanonical, notCanonical(codec));
  const records = new BlockRecords(codec, bytes, bytes.length, OffsetList.of(starts), hashes);
  return { records, ids };
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
function otherRuleHint(records: readonly unknown[], opts: ValidationOptions): string {
  const rule = opts.rule ?? ORIGINAL_PROOF_RULE;
  const others = otherRulesValidating(records, rule, opts);
  if (others.length === 0) return "";
  const names = others.map((name) => `'${name}'`).join(" or ");
  return ` (the file seems to follow the ${names} proof rule, not '${rule.name}': try --proof-rule ${others[0]})`;
}

function notCanonical(codec: ChainCodec): string {
  return `the record is not the ${codec.format === "json" ? "canonical encoding" : "exact binary encoding"} of its block`;
}

function locate(
  codec: ChainCodec,
  starts: ArrayLike<number>,
  index: number,
): { index: number; line?: number; offset?: number } {
  const offset = starts[index];
  return codec.format === "json" ? { index, line: index + 1, offset } : { index, offset };
}
