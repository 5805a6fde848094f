import assert from "node:assert/strict";
import { test } from "node:test";
import { ChainState, type Reorg } from "../../src/chain/chain-state.js";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { mineNext, tinyChain } from "../helpers/tiny-chain.js";

const D = 2;
const BASE = tinyChain(4, D);

function stateOf(chain: Block[]): ChainState {
  return new ChainState(chain, { difficulty: D });
}

/** A branch of `n` blocks forking after index `forkIndex` of `chain`, with its own messages. */
function branch(chain: Block[], forkIndex: number, n: number, tag: string): Block[] {
  const out: Block[] = [];
  let parent = chain[forkIndex] as Block;
  for (let i = 0; i < n; i++) {
    const next = mineNext(parent, D, `${tag} ${i}`, parent.timestamp + 7);
    next.data.id = `${tag}${next.index}`
      .padEnd(32, "0")
      .replace(/[^0-9a-f]/g, "b")
      .slice(0, 32);
    out.push(next);
    parent = next;
  }
  return out;
}

test("a block on the tip is accepted and announced", () => {
  const state = stateOf(BASE.slice(0, 3));
  const seen: Block[] = [];
  state.on("blocks", (joined) => seen.push(...joined.blocks()));
  const result = state.offer([BASE[3] as Block], "127.0.0.1:1");
  assert.equal(result.status, "accepted");
  assert.equal(state.length, 4);
  assert.deepEqual(seen, [BASE[3]]);
  assert.equal(state.tipHash, hashBlock(BASE[3] as Block));
});

test("blocks whose parent is unknown are refused as unknown-parent", () => {
  const state = stateOf(BASE.slice(0, 2));
  assert.equal(state.offer([BASE[3] as Block], null).status, "unknown-parent");
});

test("an invalid block is refused with its index and reason, and the chain is unchanged", () => {
  const state = stateOf(BASE.slice(0, 3));
  const bad = { ...(BASE[3] as Block), proof: ((BASE[3] as Block).proof as number) + 1 };
  const result = state.offer([bad], null);
  assert.equal(result.status, "invalid");
  if (result.status === "invalid") {
    assert.equal(result.index, 3);
    assert.match(result.reason, /proof/);
  }
  assert.equal(state.length, 3);
});

test("a shorter branch does not replace a longer chain", () => {
  const state = stateOf(BASE);
  assert.equal(state.offer(branch(BASE, 1, 1, "c"), null).status, "not-better");
  assert.equal(state.length, 4);
});

test("the longer branch wins and the abandoned messages it lacks are returned", () => {
  const state = stateOf(BASE);
  const reorgs: Reorg[] = [];
  state.on("reorg", (r) => reorgs.push(r));
  const longer = branch(BASE, 1, 3, "d");
  const result = state.offer(longer, "127.0.0.1:2");
  assert.equal(result.status, "accepted");
  assert.equal(state.length, 5);
  assert.equal(reorgs.length, 1);
  const reorg = reorgs[0] as Reorg;
  assert.equal(reorg.fork_index, 1);
  assert.deepEqual(reorg.returned, [(BASE[2] as Block).data.id, (BASE[3] as Block).data.id]);
  assert.equal(state.dirtyFrom, 2);
  assert.equal(state.hasData((BASE[2] as Block).data.id), false);
});

test("between equal lengths the branch with the smaller tip hash wins, on every node alike", () => {
  const a = branch(BASE, 1, 2, "e");
  const b = branch(BASE, 1, 2, "f");
  const [small, large] = hashBlock(a[1] as Block) < hashBlock(b[1] as Block) ? [a, b] : [b, a];
  const node1 = stateOf([...BASE.slice(0, 2), ...small]);
  const node2 = stateOf([...BASE.slice(0, 2), ...large]);
  assert.equal(node1.offer(large, null).status, "not-better");
  assert.equal(node2.offer(small, null).status, "accepted");
  assert.equal(node1.tipHash, node2.tipHash);
});

test("blocks the chain already holds are skipped, and all-known is not-better", () => {
  const state = stateOf(BASE);
  assert.equal(state.offer(BASE.slice(1), null).status, "not-better");
  const state2 = stateOf(BASE.slice(0, 3));
  assert.equal(state2.offer(BASE.slice(1), null).status, "accepted");
  assert.equal(state2.length, 4);
});

test("a branch that repeats a message of the common prefix is invalid", () => {
  const state = stateOf(BASE);
  const dup = branch(BASE, 2, 3, "g");
  (dup[1] as Block).data.id = (BASE[1] as Block).data.id;
  const result = state.offer(dup, null);
  assert.equal(result.status, "invalid");
});
