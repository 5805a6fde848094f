import { branchesOf, layoutForkTree } from "../src/ui/network/branches.js";
import type { PageBlock } from "../src/ui/network/network-state.js";
const blocks = new Map<string, PageBlock>();
const h = (i: number, s = "") => (i.toString(16) + s).padStart(64, "0");
let prev: string | null = null;
for (let i = 0; i < 2000; i++) {
  const hash = h(i);
  blocks.set(hash, { hash, previous_hash: prev, index: i, first_seen: i, seen_by: [], tip_of: [], arrived: 0 });
  if (i % 3 === 0 && prev) { const side = h(i, "f"); blocks.set(side, { hash: side, previous_hash: prev, index: i, first_seen: i, seen_by: [], tip_of: [], arrived: 0 }); }
  prev = hash;
}
const nodes = Array.from({ length: 32 }, (_, k) => ({ address: `127.0.0.1:${k}`, node_id: "", reachable: true, length: 2000 - (k % 3), tip: h(1999 - (k % 3)), pending: 0, hashrate: 0, neighbours: [], behind: 0, last_block_ms: null }));
for (let r = 0; r < 3; r++) {
  let t = performance.now(); for (let i = 0; i < 20; i++) branchesOf(nodes, blocks); const b = (performance.now() - t) / 20;
  t = performance.now(); let items = 0; for (let i = 0; i < 20; i++) items = layoutForkTree(blocks, nodes).items.length; const l = (performance.now() - t) / 20;
  console.log(`branchesOf ${b.toFixed(2)} ms, layout ${l.toFixed(2)} ms (${items} items)`);
}
