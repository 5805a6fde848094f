import type { Block } from "../core/block.js";
import type { RunParent } from "../storage/check/record-check.js";
import type { ChainCodec } from "../storage/codecs/chain-codec.js";
import { IdIndex } from "../storage/index/id-index.js";

const HASH_BYTES = 32;
const ID_BYTES = 16;

/** A page of records validated after the branch so far: its records, their hashes and ids (raw). */
export interface CheckedPage {
  /** The records (of the chain's codec), one after another, nothing else. */
  bytes: Buffer;
  starts: readonly number[];
  /** 32 raw bytes per record. */
  hashes: Buffer;
  /** 16 raw bytes per record. */
  ids: Buffer;
}

/** The last block of a page, as the next page's validation needs it. */
export type BranchTip = Omit<RunParent, "hash">;

/**
 * A peer's branch forking from our chain after block `base`, received page
 * by page, each page validated (ChainState.checkRecords) before the next is
 * added, and not adopted yet (ChainState.adoptBranch). It holds records,
 * hashes and ids as bytes: nothing of it is ever decoded into blocks.
 */
export class RecordBranch {
  private readonly checked: CheckedPage[] = [];
  /** The ids of the pages kept while the branch does not win yet (the next pages are checked against them). */
  private ids: IdIndex | null = null;
  private idsOfPages = 0;
  private blocks = 0;
  private tip: RunParent;

  /** The hash of our block `base` the branch was validated on (a copy). */
  readonly baseHash: Buffer;

  /** `baseHash` and `baseBlock`: our block `base`, the branch's parent. */
  constructor(
    readonly base: number,
    baseHash: Buffer,
    baseBlock: BranchTip,
  ) {
    this.baseHash = Buffer.from(baseHash);
    this.tip = { ...baseBlock, hash: this.baseHash };
  }

  /** How many blocks it holds. */
  get length(): number {
    return this.blocks;
  }

  /** The block the next page must follow (our block `base` while the branch is empty). */
  get parent(): RunParent {
    return this.tip;
  }

  /** The hash of its last block, hex (the fork choice's tip). */
  get tipHash(): string {
    return this.tip.hash.toString("hex");
  }

  get pages(): readonly CheckedPage[] {
    return this.checked;
  }

  /** Adds a page validated after the branch's tip; `last` is its last block. */
  add(page: CheckedPage, last: BranchTip): void {
    const count = page.starts.length;
    if (count === 0) return;
    this.checked.push(page);
    this.blocks += count;
    const hash = Buffer.from(page.hashes.subarray((count - 1) * HASH_BYTES, count * HASH_BYTES));
    this.tip = { ...last, hash };
  }

  /** Its last block, decoded from its record of `codec` (the chain's), or null while it is empty. */
  lastBlock(codec: ChainCodec): Block | null {
    const page = this.checked[this.checked.length - 1];
    if (!page) return null;
    const block = codec.decodeRecord(page.bytes.subarray(page.starts[page.starts.length - 1]));
    return typeof block === "string" ? null : block;
  }

  /** Whether the branch holds the id given as 16 raw bytes at `at` of `bytes`. */
  hasId(bytes: Buffer, at: number): boolean {
    if (this.checked.length === 0) return false;
    // Built only when a branch spans pages (it does not win at once): a sync that
    // adopts page by page never pays for it.
    const ids = this.ids ?? new IdIndex(this.blocks);
    this.ids = ids;
    for (; this.idsOfPages < this.checked.length; this.idsOfPages++) {
      const page = this.checked[this.idsOfPages] as CheckedPage;
      for (let i = 0; i < page.starts.length; i++) ids.addBytes(page.ids, i * ID_BYTES);
    }
    return ids.hasBytes(bytes, at);
  }
}
