import { EventEmitter } from "node:events";
import type { Block } from "../core/block.js";
import { type Data, newDataId } from "../core/data.js";
import { type ChainHead, winsForkChoice } from "../core/fork-choice.js";
import { genesisBlock } from "../core/genesis.js";
import { hashBlock } from "../core/hash.js";
import { type ValidationOptions, validateExtension } from "../core/validate.js";
import type { ChainStore, LoadedChain, RecordRun } from "../storage/chain-store.js";
import { checkRecordRun, type RecordRunResult } from "../storage/check/record-check.js";
import type { ChainCodec, ChainFormat } from "../storage/codecs/chain-codec.js";
import { codecFor } from "../storage/codecs/chain-format.js";
import { JSON_LINES_CODEC } from "../storage/codecs/json-lines-codec.js";
import { BlockRecords } from "../storage/index/block-records.js";
import { IdIndex } from "../storage/index/id-index.js";
import { nativeChainIndex } from "../storage/index/native-chain-index.js";
import type { RecordBranch } from "./record-branch.js";

const HASH_BYTES = 32;
const ID_BYTES = 16;

/** What became of a run of blocks offered to the chain. */
export type AdoptResult =
  | { status: "accepted"; length: number; reorg: Reorg | null }
  | { status: "not-better"; length: number }
  | { status: "unknown-parent"; length: number }
  | { status: "invalid"; length: number; index: number; reason: string; future?: boolean };

/** A switch to another branch: the SPEC's `reorg` event payload, plus the abandoned blocks. */
export interface Reorg {
  /** Index of the last block both branches share. */
  fork_index: number;
  old_tip: string;
  new_tip: string;
  /** Ids under which the abandoned blocks' messages the new branch lacks are pending again. */
  returned: string[];
  /**
   * Abandoned messages whose id the new branch holds with another text (a
   * rewritten history): their text is pending again under `new_id`.
   */
  replaced: { id: string; new_id: string }[];
  /** The messages to give back to the pending set (with their new ids where replaced). */
  giveBack: Data[];
  abandoned: Block[];
}

/**
 * Blocks that joined the chain: `count` of them from index `from`, the tip
 * now. They are decoded only when asked for (a sync adds thousands at once);
 * read them while the event runs: the chain may change after it.
 */
export interface JoinedBlocks {
  readonly from: number;
  readonly count: number;
  /** The blocks after the first `skip` of them, decoded. */
  blocks(skip?: number): Block[];
}

export interface ChainStateEvents {
  /** Blocks that joined the chain, in order; `origin` is the peer they came from, or null. */
  blocks: [joined: JoinedBlocks, origin: string | null];
  reorg: [reorg: Reorg];
  /**
   * Valid blocks new to this chain, adopted or not (a side branch, a mined
   * block that lost a race), after the `blocks` and `reorg` events they
   * cause; `from` is "self" for a mined block, else who sent them.
   */
  seen: [seen: { blocks: readonly Block[]; hashes: readonly string[]; from: string }];
}

/** A save under way (ChainState.beginSave): blocks below `unchangedBelow` are as it wrote them. */
export interface SaveToken {
  unchangedBelow: number;
}

/** Most blocks of one adopted sync branch told as `seen` (its newest): a sync may bring millions. */
const MAX_SEEN_OF_BRANCH = 1000;

/**
 * The node's chain in memory: it adopts a valid branch offered to it when the
 * core's fork choice says the branch wins, and tells who listens what changed.
 *
 * The blocks are held compactly (BlockRecords: the saved ones read from the
 * chain file on demand, the others as records in memory until a save), decoded
 * when asked for; each block is hashed once, by the load or by the validation
 * that let it in.
 */
export class ChainState extends EventEmitter<ChainStateEvents> {
  private readonly records: BlockRecords;
  /** Data id -> index of the block that holds it. */
  private readonly idIndex: IdIndex;
  private dirty = 0;
  /** Saves under way, each with the lowest block replaced since it began. */
  private readonly openSaves = new Set<SaveToken>();
  /** The addon's id table helpers, or null (TypeScript): for runs of ids checked and added at once. */
  private readonly nativeIndex = nativeChainIndex();
  /**
   * Blocks of sync branches adopted with more of the same sync to come
   * (adoptBranch's `more`), not told as `seen` yet: the first of them and who
   * sent them. The next adoption without `more`, or tellSeen, tells the
   * newest of them all at once.
   */
  private seenOwed: { from: number; origin: string | null } | null = null;

  /** From blocks (hashed here; JSON records unless a chain file's records are given), or from a loaded chain file. */
  constructor(
    chain: readonly Block[] | LoadedChain,
    private readonly validation: Omit<ValidationOptions, "now">,
  ) {
    super();
    if (Array.isArray(chain)) {
      this.records = BlockRecords.empty(JSON_LINES_CODEC);
      this.idIndex = new IdIndex();
      const initial = chain.length > 0 ? chain : [genesisBlock()];
      for (const block of initial) this.push(block, hashBlock(block));
    } else {
      ({ records: this.records, ids: this.idIndex } = chain as LoadedChain);
    }
    this.dirty = this.records.length;
  }

  get length(): number {
    return this.records.length;
  }

  get tip(): Block {
    return this.records.blockAt(this.records.length - 1) as Block;
  }

  get tipHash(): string {
    return this.records.hashAt(this.records.length - 1) as string;
  }

  /** This chain as the fork choice sees it. */
  get head(): ChainHead {
    return { length: this.length, tip: this.tipHash };
  }

  get difficulty(): number {
    return this.validation.difficulty;
  }

  /** Every block, decoded: costly on a long chain (the library's `chain`, small tools). */
  get blocks(): readonly Block[] {
    return this.slice(0, this.length);
  }

  /** The records of blocks `from` on, copied, for a save to append. */
  recordsFrom(from: number): RecordRun {
    return this.records.runFrom(Math.min(from, this.length));
  }

  /** How many leading blocks are in the chain file (read from it on demand); the rest are in memory. */
  get savedLength(): number {
    return this.records.savedLength;
  }

  /**
   * Bytes of the records held in memory, not in the chain file yet (synced,
   * mined, or a new branch after a reorg): what a save would move to the file.
   */
  get unsavedBytes(): number {
    return this.records.bytesBetween(this.records.savedLength, this.records.length);
  }

  /** Lowest index changed since the last `markSaved()`; equals `length` when nothing changed. */
  get dirtyFrom(): number {
    return this.dirty;
  }

  markSaved(): void {
    this.dirty = this.records.length;
  }

  /**
   * Starts a save of the chain as it stands (markSaved): the token it gives
   * remembers the lowest block a reorg replaces until the save ends
   * (`savedTo` or `saveFailed`). Saves may overlap (one queued behind
   * another), and a later save's markSaved must not hide a reorg from an
   * earlier one.
   */
  beginSave(): SaveToken {
    const token = { unchangedBelow: this.length };
    this.openSaves.add(token);
    this.markSaved();
    return token;
  }

  /**
   * After the save `token` began wrote to `store`: the blocks it wrote that
   * no reorg replaced since are read from the store's file from now on, and
   * leave memory.
   */
  savedTo(
    store: Pick<ChainStore, "saved" | "persistedLength" | "endOfRecords">,
    token: SaveToken,
  ): void {
    this.openSaves.delete(token);
    const count = Math.min(token.unchangedBelow, store.persistedLength, this.length);
    this.records.moveToFile(store.saved, count, store.endOfRecords(count));
  }

  /** The save `token` began failed: blocks from `dirtyFrom` on are unsaved again. */
  saveFailed(token: SaveToken, dirtyFrom: number): void {
    this.openSaves.delete(token);
    this.markDirtyFrom(dirtyFrom);
  }

  /** Marks blocks from `index` on as unsaved again (a save that failed). */
  markDirtyFrom(index: number): void {
    this.dirty = Math.min(this.dirty, index);
  }

  blockAt(index: number): Block | undefined {
    return this.records.blockAt(index);
  }

  hashAt(index: number): string | undefined {
    return this.records.hashAt(index);
  }

  /** Up to `limit` blocks from index `from`. */
  slice(from: number, limit: number): Block[] {
    const blocks: Block[] = [];
    const stop = Math.min(this.length, from + limit);
    for (let i = Math.max(0, from); i < stop; i++) blocks.push(this.records.blockAt(i) as Block);
    return blocks;
  }

  /** The format of the records the chain holds (its chain file's). */
  get format(): ChainFormat {
    return this.records.codec.format;
  }

  /** Blocks `from` on as records of `format` (a page for a peer): at most `limit`, and `maxBytes` past the first. */
  recordsIn(from: number, limit: number, maxBytes: number, format: ChainFormat): Buffer {
    return this.records.recordsIn(from, limit, maxBytes, codecFor(format));
  }

  /** The hash of block `index` as 32 raw bytes (a view), or undefined past the end. */
  hashBytesAt(index: number): Buffer | undefined {
    return this.records.hashBytesAt(index);
  }

  /**
   * The data ids of the first `count` blocks (16 raw bytes each; a view, valid
   * until the chain changes): what the chain file's index snapshot keeps.
   */
  idBytes(count: number): Buffer {
    return this.idIndex.idBytes(count);
  }

  /** The data id of block `index`, or undefined past the end. */
  dataIdAt(index: number): string | undefined {
    return this.idIndex.idAt(index);
  }

  /** Index of the block holding this data id, or undefined. */
  indexOfData(id: string): number | undefined {
    return this.idIndex.get(id);
  }

  hasData(id: string): boolean {
    return this.idIndex.has(id);
  }

  /** Appends a block mined on the tip; false (and nothing changes) when it no longer fits. */
  appendMined(block: Block): boolean {
    const result = this.offer([block], null, Date.now(), "self");
    return result.status === "accepted";
  }

  /**
   * Offers consecutive blocks whose first block's parent may be on this chain.
   * Adopts the branch they make when it wins the fork choice. `sender` is
   * who they came from as the `seen` event tells it (default the origin).
   */
  offer(
    blocks: readonly Block[],
    origin: string | null,
    now = Date.now(),
    sender: string = origin ?? "unknown",
  ): AdoptResult {
    const length = this.length;
    const first = blocks[0];
    if (!first) return { status: "not-better", length };
    if (!Number.isSafeInteger(first.index) || first.index < 1) {
      return {
        status: "invalid",
        length,
        index: 0,
        reason: "the first block's index must be at least 1",
      };
    }
    const parentIndex = first.index - 1;
    if (parentIndex >= length || this.records.hashAt(parentIndex) !== first.previous_hash) {
      return { status: "unknown-parent", length };
    }
    const skip = this.countKnownPrefix(blocks);
    const fresh = blocks.slice(skip);
    if (fresh.length === 0) return { status: "not-better", length };
    const forkIndex = parentIndex + skip;
    const candidateLength = forkIndex + 1 + fresh.length;
    const parent = this.records.blockAt(forkIndex) as Block;
    const seen = {
      has: (id: string) => (this.idIndex.get(id) ?? Number.POSITIVE_INFINITY) <= forkIndex,
    };
    const valid = validateExtension(
      parent,
      fresh,
      seen,
      { ...this.validation, now },
      this.records.hashAt(forkIndex),
    );
    if (!valid.ok) {
      const { index, reason, future } = valid;
      return { status: "invalid", length, index, reason, ...(future ? { future } : {}) };
    }
    const sighting = { blocks: fresh, hashes: valid.hashes, from: sender };
    const tip = valid.hashes[valid.hashes.length - 1] as string;
    if (!winsForkChoice({ length: candidateLength, tip }, this.head)) {
      this.emit("seen", sighting);
      return { status: "not-better", length };
    }
    const reorg = this.switchTo(forkIndex, fresh, valid.hashes, origin);
    this.emit("seen", sighting);
    return { status: "accepted", length: candidateLength, reorg };
  }

  /**
   * Validates `page` (records of `codec`, this chain's own by default) as the
   * next blocks of `branch`: each block after the one before, its data id in
   * neither this chain up to the branch's base nor the branch, and each record
   * the exact encoding of its block in `codec`. Gives the valid leading
   * records with their hashes and ids, and the first failure. A block's hash
   * and id do not depend on the codec: a page checked in the format it came
   * in may join the chain transcoded to this chain's own.
   */
  checkRecords(
    branch: RecordBranch,
    page: Buffer,
    now = Date.now(),
    codec: ChainCodec = this.records.codec,
  ): RecordRunResult {
    const { base } = branch;
    const known = {
      hasBytes: (bytes: Buffer, at: number) =>
        (this.idIndex.indexOfBytes(bytes, at) ?? Number.POSITIVE_INFINITY) <= base ||
        branch.hasId(bytes, at),
      firstKnown: (ids: Buffer, from: number, to: number) => {
        const held = this.idIndex.firstHeldBelow(ids, from, to, base + 1, this.nativeIndex);
        const stop = held < 0 ? to : held;
        // The branch's own earlier pages: only a branch that spans pages has any.
        for (let i = from; branch.length > 0 && i < stop; i++) {
          if (branch.hasId(ids, i * ID_BYTES)) return i;
        }
        return held;
      },
    };
    return checkRecordRun(codec, page, branch.parent, known, {
      ...this.validation,
      now,
    });
  }

  /**
   * Whether our block `branch.base` is still the branch's parent. A reorg
   * below it since makes the branch one of another chain: its pages can no
   * longer be checked against this one (an id this chain now holds lower
   * down would look like the peer's fault).
   */
  holdsBase(branch: RecordBranch): boolean {
    return this.records.hashBytesAt(branch.base)?.equals(branch.baseHash) ?? false;
  }

  /**
   * Adopts a branch validated page by page (checkRecords) when it wins the
   * fork choice; its records join the chain as they are, with the hashes and
   * ids the validation gave. `unknown-parent` when our block `branch.base`
   * is no longer the one it was validated on.
   *
   * `more`: the same sync adopts more blocks at once (its next slice or
   * page): the `seen` event waits for the last adoption of the run (or
   * tellSeen), which tells the newest blocks of the whole run. Told per
   * adoption, a sync adopting in slices of thousands decoded and told a
   * fifth of every block it brought.
   */
  adoptBranch(branch: RecordBranch, origin: string | null, more = false): AdoptResult {
    const length = this.length;
    const { base } = branch;
    if (branch.length === 0) return { status: "not-better", length };
    if (!this.holdsBase(branch)) return { status: "unknown-parent", length };
    const skip = this.knownBranchPrefix(branch);
    if (skip === branch.length) return { status: "not-better", length };
    const candidateLength = base + 1 + branch.length;
    if (!winsForkChoice({ length: candidateLength, tip: branch.tipHash }, this.head)) {
      return { status: "not-better", length };
    }
    const forkIndex = base + skip;
    const oldTip = this.tipHash;
    const abandoned = this.truncateAfter(forkIndex);
    let left = skip;
    for (const page of branch.pages) {
      const count = page.starts.length;
      const from = Math.min(left, count);
      left -= from;
      if (from === count) continue;
      const first = page.starts[from] as number;
      this.records.appendRun(
        page.bytes.subarray(first),
        from === 0 ? page.starts : page.starts.slice(from).map((start) => start - first),
        page.hashes.subarray(from * HASH_BYTES),
      );
      // Checked by the validation against the chain up to the base and the branch itself.
      this.idIndex.addAbsent(page.ids.subarray(from * ID_BYTES), count - from, this.nativeIndex);
    }
    this.dirty = Math.min(this.dirty, forkIndex + 1);
    const reorg = this.reorgOf(forkIndex, oldTip, abandoned);
    this.emitJoined(forkIndex + 1, candidateLength - forkIndex - 1, origin);
    this.oweSeen(forkIndex + 1, origin);
    if (!more) this.tellSeen();
    return { status: "accepted", length: candidateLength, reorg };
  }

  /**
   * Tells as `seen` the newest blocks (at most MAX_SEEN_OF_BRANCH) of the
   * sync branches adopted with `more` and not told yet: a sync that ends
   * without a last adoption (cut short, refused, aborted) calls it.
   */
  tellSeen(): void {
    const owed = this.seenOwed;
    if (owed === null) return;
    this.seenOwed = null;
    this.emitSeenBranch(Math.min(owed.from, this.length), this.length, owed.origin);
  }

  /** Blocks from `from` to the tip, adopted from `origin`, are to be told as seen. */
  private oweSeen(from: number, origin: string | null): void {
    // Blocks owed to another sender are told first, under their own sender.
    if (this.seenOwed !== null && this.seenOwed.origin !== origin) this.tellSeen();
    this.seenOwed = { from: Math.min(from, this.seenOwed?.from ?? from), origin };
  }

  /** How many leading blocks of the branch this chain already holds (by hash). */
  private knownBranchPrefix(branch: RecordBranch): number {
    let skip = 0;
    for (const page of branch.pages) {
      for (let i = 0; i < page.starts.length; i++) {
        const ours = this.records.hashBytesAt(branch.base + 1 + skip);
        if (
          !ours ||
          page.hashes.compare(ours, 0, HASH_BYTES, i * HASH_BYTES, (i + 1) * HASH_BYTES) !== 0
        ) {
          return skip;
        }
        skip++;
      }
    }
    return skip;
  }

  /** How many leading blocks of `blocks` this chain already holds (only those are hashed). */
  private countKnownPrefix(blocks: readonly Block[]): number {
    let skip = 0;
    for (const block of blocks) {
      if (!(block.index < this.length) || this.records.hashAt(block.index) !== hashBlock(block)) {
        break;
      }
      skip++;
    }
    return skip;
  }

  private switchTo(
    forkIndex: number,
    fresh: readonly Block[],
    hashes: readonly string[],
    origin: string | null,
  ): Reorg | null {
    const oldTip = this.tipHash;
    const abandoned = this.truncateAfter(forkIndex);
    for (const [i, block] of fresh.entries()) this.push(block, hashes[i] as string);
    this.dirty = Math.min(this.dirty, forkIndex + 1);
    const reorg = this.reorgOf(forkIndex, oldTip, abandoned);
    const blocks = [...fresh];
    const joined = {
      from: forkIndex + 1,
      count: blocks.length,
      blocks: (skip = 0) => blocks.slice(skip),
    };
    this.emit("blocks", joined, origin);
    return reorg;
  }

  /** The reorg a switch after `forkIndex` made (emitted), or null when it abandoned nothing. */
  private reorgOf(forkIndex: number, oldTip: string, abandoned: Block[]): Reorg | null {
    if (abandoned.length === 0) return null;
    const { giveBack, replaced } = this.whatComesBack(abandoned);
    const reorg: Reorg = {
      fork_index: forkIndex,
      old_tip: oldTip,
      new_tip: this.tipHash,
      returned: giveBack.map((d) => d.id),
      replaced,
      giveBack,
      abandoned,
    };
    this.emit("reorg", reorg);
    return reorg;
  }

  /** The newest blocks [from, to) of an adopted sync branch as `seen` (checked page by page, now on the chain). */
  private emitSeenBranch(from: number, to: number, origin: string | null): void {
    if (this.listenerCount("seen") === 0) return;
    const start = Math.max(from, to - MAX_SEEN_OF_BRANCH);
    const blocks = this.slice(start, to - start);
    const hashes = blocks.map((block) => this.records.hashAt(block.index) as string);
    this.emit("seen", { blocks, hashes, from: origin ?? "unknown" });
  }

  private emitJoined(from: number, count: number, origin: string | null): void {
    if (this.listenerCount("blocks") === 0) return;
    const blocks = (skip = 0) => this.slice(from + skip, count - skip);
    this.emit("blocks", { from, count, blocks }, origin);
  }

  /**
   * The abandoned messages the new branch does not hold as they were: those
   * it lacks, and those whose id it holds with another text (ids are not
   * proofs: under the original rule a message is replaced without new work),
   * which come back under a new id so that no accepted text is lost.
   */
  private whatComesBack(abandoned: readonly Block[]): Pick<Reorg, "giveBack" | "replaced"> {
    const giveBack: Data[] = [];
    const replaced: Reorg["replaced"] = [];
    for (const { data } of abandoned) {
      const at = this.idIndex.get(data.id);
      if (at === undefined) {
        giveBack.push(data);
      } else if (this.records.blockAt(at)?.data.message !== data.message) {
        const newId = newDataId();
        replaced.push({ id: data.id, new_id: newId });
        giveBack.push({ id: newId, message: data.message });
      }
    }
    return { giveBack, replaced };
  }

  private truncateAfter(forkIndex: number): Block[] {
    const abandoned = this.slice(forkIndex + 1, this.length);
    for (const save of this.openSaves) {
      save.unchangedBelow = Math.min(save.unchangedBelow, forkIndex + 1);
    }
    this.records.truncate(forkIndex + 1);
    this.idIndex.truncate(forkIndex + 1);
    return abandoned;
  }

  private push(block: Block, hash: string): void {
    this.records.push(block, hash);
    this.idIndex.add(block.data.id);
  }
}
