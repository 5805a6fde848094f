// src/ui/network/branches.ts
function branchesOf(nodes2, blocks2) {
  const tips = [
    ...new Map(nodes2.filter((n) => n.tip).map((n) => [n.tip, n])).values()
  ].sort((a, b) => b.length - a.length || (a.tip < b.tip ? -1 : 1));
  const heads = [];
  const tipBranch = /* @__PURE__ */ new Map();
  for (const node of tips) {
    const tip = node.tip;
    const found = heads.findIndex((head) => head.ancestry.has(tip));
    if (found >= 0) {
      tipBranch.set(tip, found);
      continue;
    }
    tipBranch.set(tip, heads.length);
    heads.push({ tip, ancestry: ancestryOf(tip, blocks2) });
  }
  const result = /* @__PURE__ */ new Map();
  for (const node of nodes2) {
    result.set(node.address, node.tip && node.reachable ? tipBranch.get(node.tip) ?? -1 : -1);
  }
  return result;
}
function ancestryOf(tip, blocks2) {
  const seen = /* @__PURE__ */ new Set();
  let hash = tip;
  while (hash && !seen.has(hash)) {
    seen.add(hash);
    hash = blocks2.get(hash)?.previous_hash ?? null;
  }
  return seen;
}
var TREE_HEIGHTS = 200;
function layoutForkTree(blocks2, nodes2) {
  let top = 0;
  for (const block of blocks2.values()) top = Math.max(top, block.index);
  const floor = top - TREE_HEIGHTS;
  const children = /* @__PURE__ */ new Map();
  const inWindow = [];
  for (const block of blocks2.values()) {
    if (block.index < floor) continue;
    inWindow.push(block);
    if (block.previous_hash === null) continue;
    const list = children.get(block.previous_hash) ?? [];
    list.push(block);
    children.set(block.previous_hash, list);
  }
  const held = new Set(inWindow.map((b) => b.hash));
  const roots = inWindow.filter((b) => b.previous_hash === null || !held.has(b.previous_hash)).sort((a, b) => a.index - b.index);
  const tipsOf = /* @__PURE__ */ new Map();
  for (const node of nodes2) {
    if (!node.tip) continue;
    tipsOf.set(node.tip, [...tipsOf.get(node.tip) ?? [], node.address]);
  }
  const live = /* @__PURE__ */ new Set();
  for (const tip of tipsOf.keys()) for (const hash of ancestryOf(tip, blocks2)) live.add(hash);
  const reach = /* @__PURE__ */ new Map();
  for (const block of [...inWindow].sort((a, b) => b.index - a.index)) {
    let best = block.index;
    for (const child of children.get(block.hash) ?? []) best = Math.max(best, reach.get(child.hash) ?? child.index);
    reach.set(block.hash, best);
  }
  const reachOf = (block) => reach.get(block.hash) ?? block.index;
  const order = (list) => [...list].sort(
    (a, b) => Number(live.has(b.hash)) - Number(live.has(a.hash)) || reachOf(b) - reachOf(a) || (a.hash < b.hash ? -1 : 1)
  );
  const items = [];
  const kidsOf = /* @__PURE__ */ new Map();
  let columns = 0;
  const work = order(roots).map(
    (root) => ({ block: root, parent: null, column: 0 })
  );
  for (let next = 0; next < work.length && next < 2e4; next++) {
    const { block, parent, column } = work[next];
    let last = block;
    for (; ; ) {
      const next2 = children.get(last.hash) ?? [];
      if (next2.length !== 1 || tipsOf.has(last.hash)) break;
      const child = next2[0];
      if (tipsOf.has(child.hash) || (children.get(child.hash)?.length ?? 0) > 1) break;
      last = child;
    }
    const kids = order(children.get(last.hash) ?? []);
    const item = {
      hash: block.hash,
      lastHash: last.hash,
      from: block.index,
      to: last.index,
      column,
      lane: 0,
      tipOf: tipsOf.get(last.hash) ?? [],
      fork: kids.length > 1,
      stale: !live.has(last.hash),
      parent
    };
    items.push(item);
    kidsOf.set(item, []);
    if (parent) kidsOf.get(parent)?.push(item);
    columns = Math.max(columns, column + 1);
    for (const kid of kids) work.push({ block: kid, parent: item, column: column + 1 });
  }
  const reachColumn = /* @__PURE__ */ new Map();
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    let far = item.column;
    for (const kid of kidsOf.get(item) ?? [])
      far = Math.max(far, reachColumn.get(kid) ?? kid.column);
    reachColumn.set(item, far);
  }
  const laneEnds = [];
  const take = (from, to, least) => {
    let lane = least;
    while ((laneEnds[lane] ?? -1) >= from) lane++;
    laneEnds[lane] = to;
    return lane;
  };
  const stack = items.filter((i) => i.parent === null).reverse();
  for (const root of [...stack].reverse())
    root.lane = take(root.column, reachColumn.get(root) ?? root.column, 0);
  for (let steps = 0; stack.length > 0 && steps < 2e4; steps++) {
    const item = stack.pop();
    const kids = kidsOf.get(item) ?? [];
    kids.forEach((kid, i) => {
      if (i === 0) {
        kid.lane = item.lane;
        laneEnds[item.lane] = Math.max(
          laneEnds[item.lane] ?? -1,
          reachColumn.get(kid) ?? kid.column
        );
      } else {
        kid.lane = take(kid.column, reachColumn.get(kid) ?? kid.column, item.lane + 1);
      }
    });
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  const lanes = laneEnds.length;
  return { items, columns, lanes, race: raceOf(nodes2, blocks2) };
}
function raceOf(nodes2, blocks2) {
  const reachable = nodes2.filter((n) => n.reachable && n.tip);
  if (reachable.length === 0) return null;
  const height = Math.max(...reachable.map((n) => n.length - 1));
  const tips = new Set(reachable.filter((n) => n.length - 1 === height).map((n) => n.tip));
  const atHeight = [...tips].filter(
    (tip) => (blocks2.get(tip)?.index ?? height) === height
  );
  return atHeight.length > 1 ? { height, blocks: atHeight.length } : null;
}

// .scratch/perf.ts
var blocks = /* @__PURE__ */ new Map();
var h = (i, s = "") => (i.toString(16) + s).padStart(64, "0");
var prev = null;
for (let i = 0; i < 2e3; i++) {
  const hash = h(i);
  blocks.set(hash, { hash, previous_hash: prev, index: i, first_seen: i, seen_by: [], tip_of: [], arrived: 0 });
  if (i % 3 === 0 && prev) {
    const side = h(i, "f");
    blocks.set(side, { hash: side, previous_hash: prev, index: i, first_seen: i, seen_by: [], tip_of: [], arrived: 0 });
  }
  prev = hash;
}
var nodes = Array.from({ length: 32 }, (_, k) => ({ address: `127.0.0.1:${k}`, node_id: "", reachable: true, length: 2e3 - k % 3, tip: h(1999 - k % 3), pending: 0, hashrate: 0, neighbours: [], behind: 0, last_block_ms: null }));
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  for (let i = 0; i < 20; i++) branchesOf(nodes, blocks);
  const b = (performance.now() - t) / 20;
  t = performance.now();
  let items = 0;
  for (let i = 0; i < 20; i++) items = layoutForkTree(blocks, nodes).items.length;
  const l = (performance.now() - t) / 20;
  console.log(`branchesOf ${b.toFixed(2)} ms, layout ${l.toFixed(2)} ms (${items} items)`);
}
