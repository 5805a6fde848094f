import assert from "node:assert/strict";
import { test } from "node:test";
import { branchesOf, layoutForkTree } from "../../src/ui/network/branches.js";
import {
  applyDelta,
  fromSnapshot,
  type PageBlock,
  stateAt,
} from "../../src/ui/network/network-state.js";
import { BOX_W, boxLeft, visibleItems } from "../../src/ui/network/tree-geometry.js";
import type { NodeView } from "../../src/watch/wire.js";

const hash = (name: string) => name.padEnd(64, "0");

/** Blocks from "parent>child" pairs; the first name is the root at `base`. */
function tree(base: number, ...edges: [string, string][]): Map<string, PageBlock> {
  const blocks = new Map<string, PageBlock>();
  const root = edges[0]?.[0] as string;
  blocks.set(hash(root), block(root, null, base));
  for (const [parent, child] of edges) {
    const index = (blocks.get(hash(parent))?.index ?? base) + 1;
    blocks.set(hash(child), block(child, parent, index));
  }
  return blocks;
}

function block(name: string, parent: string | null, index: number): PageBlock {
  return {
    hash: hash(name),
    previous_hash: parent === null ? null : hash(parent),
    index,
    first_seen: index,
    seen_by: [],
    tip_of: [],
    arrived: 0,
  };
}

function node(address: string, tip: string, length: number, reachable = true): NodeView {
  return {
    address,
    node_id: address,
    reachable,
    length,
    tip: hash(tip),
    pending: 0,
    hashrate: 0,
    neighbours: [],
    behind: 0,
    last_block_ms: null,
  };
}

// a - b - c - d        (main)
//      \- x - y        (side)
const BLOCKS = tree(10, ["a", "b"], ["b", "c"], ["c", "d"], ["b", "x"], ["x", "y"]);

test("a node merely behind is on the branch it is behind on; another tip is another branch", () => {
  const branches = branchesOf(
    [
      node("n0:1", "d", 14),
      node("n1:1", "c", 13),
      node("n2:1", "y", 13),
      node("n3:1", "d", 14, false),
    ],
    BLOCKS,
  );
  assert.equal(branches.get("n0:1"), 0, "the longest is branch 0");
  assert.equal(branches.get("n1:1"), 0, "one block behind on the same branch");
  assert.equal(branches.get("n2:1"), 1);
  assert.equal(branches.get("n3:1"), -1, "unreachable: no branch");
});

test("the fork tree collapses straight runs, puts the best branch on lane 0, marks the stale one", () => {
  const long = tree(100, ["r", "s1"], ["s1", "s2"], ["s2", "s3"], ["s3", "t"], ["s3", "u"]);
  const layout = layoutForkTree(long, [node("n0:1", "t", 105), node("n1:1", "t", 105)]);
  const run = layout.items.find((i) => i.from === 100);
  assert.equal(run?.to, 102, "r..s2 is one straight run");
  assert.equal(run?.fork, false);
  const forkPoint = layout.items.find((i) => i.from === 103);
  assert.equal(forkPoint?.to, 103, "the fork point is a box of its own");
  assert.equal(forkPoint?.fork, true);
  const tip = layout.items.find((i) => i.hash === hash("t"));
  const side = layout.items.find((i) => i.hash === hash("u"));
  assert.deepEqual(tip?.tipOf, ["n0:1", "n1:1"]);
  assert.equal(tip?.lane, 0);
  assert.equal(tip?.stale, false);
  assert.equal(side?.stale, true, "no node holds it: abandoned");
  assert.notEqual(side?.lane, 0);
  assert.equal(layout.race, null);
});

test("two tips at the top height are an open race", () => {
  const race = tree(40, ["p", "q1"], ["p", "q2"]);
  const layout = layoutForkTree(race, [node("n0:1", "q1", 42), node("n1:1", "q2", 42)]);
  assert.deepEqual(layout.race, { height: 41, blocks: 2 });
});

test("the fork tree draws the boxes in sight and a screen each side, not the whole tree", () => {
  // 150 heights, a side block every other one: each fork point ends a run, so ~225 boxes
  // (names end in "z": the test hashes pad names with zeros, so "m1" and "m10" would be one).
  const edges: [string, string][] = [];
  for (let i = 0; i < 150; i++) {
    edges.push([`m${i}z`, `m${i + 1}z`]);
    if (i % 2 === 0) edges.push([`m${i}z`, `x${i}z`]);
  }
  const layout = layoutForkTree(tree(0, ...edges), [node("n0:1", "m150z", 151)]);
  const right = Math.max(...layout.items.map((i) => boxLeft(i) + BOX_W));
  const width = 1000;
  const left = right - width;
  const drawn = visibleItems(layout.items, left, width);
  const inSight = layout.items.filter((i) => boxLeft(i) + BOX_W >= left && boxLeft(i) <= right);
  assert.ok(inSight.length > 0);
  for (const item of inSight) assert.ok(drawn.includes(item), `#${item.from} is in sight`);
  assert.ok(
    drawn.length < layout.items.length / 3,
    `${drawn.length} of ${layout.items.length} boxes drawn`,
  );
  for (const item of drawn) {
    const near = (i: (typeof drawn)[number]) =>
      boxLeft(i) + BOX_W >= left - width && boxLeft(i) <= right + width;
    assert.ok(near(item) || (item.parent && near(item.parent)), `#${item.from} is near the view`);
  }
  // Scrolled back to the start: the first boxes are drawn, the newest are not.
  const start = visibleItems(layout.items, 0, width);
  assert.ok(start.some((i) => i.from === 0));
  assert.ok(!start.some((i) => i.lastHash === hash("m150z")));
});

test("the page's state takes deltas, and replay shows what was known then", () => {
  const empty = {
    p50_ms: null,
    p90_ms: null,
    max_ms: null,
    samples: 0,
    stale: 0,
    seen: 0,
    bins: [],
    bin_ms: 1,
  };
  const state = fromSnapshot(
    {
      nodes: [node("n0:1", "a", 11)],
      blocks: [],
      propagation: empty,
      events: [],
      links: [],
      waterfall: [],
      controls: false,
    },
    1_000,
  );
  applyDelta(
    state,
    {
      nodes: [node("n0:1", "b", 12)],
      blocks: [block("b", "a", 11)],
      events: [],
      propagation: empty,
      links: null,
      waterfall: [],
    },
    5_000,
  );
  assert.equal(state.blocks.size, 1);
  assert.equal(state.nodes[0]?.length, 12);
  const then = stateAt(state, 2_000);
  assert.equal(then.nodes[0]?.length, 11, "the frame of the first second");
  assert.equal(then.blocks.size, 0, "the block came later");
});
