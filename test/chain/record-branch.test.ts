import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChainState, type JoinedBlocks, type Reorg } from "../../src/chain/chain-state.js";
import { RecordBranch } from "../../src/chain/record-branch.js";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { RecordPage } from "../../src/storage/codecs/record-page.js";
import { BlockRecords } from "../../src/storage/index/block-records.js";
import { IdIndex } from "../../src/storage/index/id-index.js";
import { branch, longChain } from "../net/net-fixture.js";

const D = 1;
const BASE = longChain(40);

/** A chain of `blocks` held as records of `format`, as a loaded chain file would be. */
function stateOf(blocks: readonly Block[], format: "json" | "binary"): ChainState {
  const records = BlockRecords.empty(codecFor(format));
  const ids = new IdIndex();
  for (const block of blocks) {
    records.push(block, hashBlock(block));
    ids.add(block.data.id);
  }
  return new ChainState({ records, ids }, { difficulty: D });
}

function branchOn(state: ChainState, base: number): RecordBranch {
  const block = state.blockAt(base) as Block;
  return new RecordBranch(base, state.hashBytesAt(base) as Buffer, block);
}

/** Validates `blocks` as the branch's next page and adds it; the validation's result. */
function addPage(state: ChainState, on: RecordBranch, blocks: readonly Block[]) {
  const page = RecordPage.ofBlocks(codecFor(state.format), blocks, blocks[0]?.index ?? 0);
  const result = state.checkRecords(on, page.bytes);
  if (result.failure === null) {
    const last = blocks[blocks.length - 1] as Block;
    on.add(
      { bytes: page.bytes, starts: result.starts, hashes: result.hashes, ids: result.ids },
      last,
    );
  }
  return result;
}

for (const format of ["json", "binary"] as const) {
  describe(`a branch of records adopted by a ${format} chain`, () => {
    it("joins as the records it came as, with its hashes and ids, in one blocks event", () => {
      const state = stateOf(BASE.slice(0, 10), format);
      const joined: [number, number, number[]][] = [];
      state.on("blocks", (run: JoinedBlocks) =>
        joined.push([run.from, run.count, run.blocks(2).map((b) => b.index)]),
      );
      const on = branchOn(state, 9);
      assert.equal(addPage(state, on, BASE.slice(10, 25)).failure, null);
      assert.equal(addPage(state, on, BASE.slice(25, 40)).failure, null);
      const result = state.adoptBranch(on, "127.0.0.1:1");
      assert.deepEqual(result, { status: "accepted", length: 40, reorg: null });
      assert.deepEqual(state.blocks, BASE);
      assert.equal(state.tipHash, hashBlock(BASE[39] as Block));
      assert.equal(state.indexOfData((BASE[33] as Block).data.id), 33);
      const file = state.recordsFrom(0).bytes;
      const expected = Buffer.concat(BASE.map((b) => codecFor(format).encodeRecord(b)));
      assert.ok(file.equals(expected), "the chain holds the blocks' exact records");
      assert.deepEqual(joined, [[10, 30, Array.from({ length: 28 }, (_, i) => 12 + i)]]);
    });

    it("checks each page's ids against the chain up to the base and the pages before it", () => {
      const state = stateOf(BASE.slice(0, 30), format);
      // A branch from block 9 may reuse the ids of our blocks after 9 (it replaces them)...
      const reuse = branch(BASE, 9, 25, "a").slice(10);
      for (const [i, block] of reuse.entries()) block.data.id = (BASE[10 + i] as Block).data.id;
      const fixed = relink(BASE[9] as Block, reuse);
      const on = branchOn(state, 9);
      assert.equal(addPage(state, on, fixed.slice(0, 10)).failure, null);
      // ...but not an id of the chain up to the base, nor one of its own earlier pages.
      const twiceOwn = relink(fixed[9] as Block, [
        {
          ...(fixed[10] as Block),
          data: { ...(fixed[10] as Block).data, id: (fixed[3] as Block).data.id },
        },
      ]);
      const own = addPage(state, on, twiceOwn);
      assert.equal(own.failure?.index, 20);
      assert.match(own.failure?.reason ?? "", /already appears in an earlier block/);
      const ofBase = relink(fixed[9] as Block, [
        {
          ...(fixed[10] as Block),
          data: { ...(fixed[10] as Block).data, id: (BASE[4] as Block).data.id },
        },
      ]);
      assert.equal(addPage(state, on, ofBase).failure?.index, 20);
    });

    it("waits until the branch wins, then switches to it and gives back what it abandoned", () => {
      const state = stateOf(BASE.slice(0, 30), format);
      const theirs = branch(BASE, 9, 25, "b").slice(10);
      const on = branchOn(state, 9);
      assert.equal(addPage(state, on, theirs.slice(0, 15)).failure, null);
      assert.equal(state.adoptBranch(on, null).status, "not-better");
      assert.equal(state.length, 30);
      assert.equal(addPage(state, on, theirs.slice(15)).failure, null);
      const reorgs: Reorg[] = [];
      state.on("reorg", (r) => reorgs.push(r));
      const result = state.adoptBranch(on, null);
      assert.equal(result.status, "accepted");
      assert.equal(state.length, 35);
      assert.deepEqual(state.blocks, [...BASE.slice(0, 10), ...theirs]);
      assert.equal(reorgs[0]?.fork_index, 9);
      assert.deepEqual(
        reorgs[0]?.returned,
        BASE.slice(10, 30).map((b) => b.data.id),
      );
      assert.equal(state.indexOfData((BASE[20] as Block).data.id), undefined);
    });

    it("skips the blocks it holds already, and refuses a branch whose base changed", () => {
      const state = stateOf(BASE.slice(0, 20), format);
      const on = branchOn(state, 9);
      assert.equal(addPage(state, on, BASE.slice(10, 30)).failure, null);
      const joined: number[] = [];
      state.on("blocks", (run) => joined.push(run.from, run.count));
      assert.equal(state.adoptBranch(on, null).status, "accepted");
      assert.deepEqual(joined, [20, 10], "only the blocks after ours joined");
      assert.deepEqual(state.blocks, BASE.slice(0, 30));

      const other = stateOf(BASE.slice(0, 12), format);
      const stale = branchOn(other, 11);
      assert.equal(addPage(other, stale, BASE.slice(12, 20)).failure, null);
      other.offer(branch(BASE, 10, 3, "c").slice(11), null);
      assert.equal(other.adoptBranch(stale, null).status, "unknown-parent");
    });
  });
}

/** `blocks` with each previous_hash set to its parent's hash, the first on `parent`. */
function relink(parent: Block, blocks: Block[]): Block[] {
  let previous = parent;
  return blocks.map((block) => {
    const linked = { ...block, previous_hash: hashBlock(previous) };
    previous = linked;
    return linked;
  });
}

describe("the seen event of a sync adopted in runs", () => {
  const LONG = longChain(1300);
  /** Adopts LONG[from, to) as one run, `more` to come or not; the indexes of the blocks each seen event told. */
  function adoptRun(state: ChainState, from: number, to: number, more: boolean) {
    const on = branchOn(state, from - 1);
    assert.equal(addPage(state, on, LONG.slice(from, to)).failure, null);
    assert.equal(state.adoptBranch(on, "127.0.0.1:1", more).status, "accepted");
  }
  function seenOf(state: ChainState): { from: string; indexes: number[] }[] {
    const told: { from: string; indexes: number[] }[] = [];
    state.on("seen", ({ blocks, hashes, from }) => {
      assert.deepEqual(
        hashes,
        blocks.map((b) => hashBlock(b)),
      );
      told.push({ from, indexes: blocks.map((b) => b.index) });
    });
    return told;
  }
  const newest = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => from + i);

  it("tells nothing while more is to come, then the newest 1,000 blocks of the whole run once", () => {
    const state = stateOf(LONG.slice(0, 10), "json");
    const told = seenOf(state);
    adoptRun(state, 10, 500, true);
    adoptRun(state, 500, 1000, true);
    assert.deepEqual(told, []);
    adoptRun(state, 1000, 1300, false);
    assert.deepEqual(told, [{ from: "127.0.0.1:1", indexes: newest(300, 1300) }]);
  });

  it("a sync that ends after runs with more to come tells them with tellSeen, once", () => {
    const state = stateOf(LONG.slice(0, 10), "binary");
    const told = seenOf(state);
    adoptRun(state, 10, 40, true);
    adoptRun(state, 40, 70, true);
    state.tellSeen();
    state.tellSeen();
    assert.deepEqual(told, [{ from: "127.0.0.1:1", indexes: newest(10, 70) }]);
  });
});
