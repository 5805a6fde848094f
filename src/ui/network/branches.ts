// Which branch each node is on, and the fork tree's layout. Pure: unit-tested without a browser.
import type { NodeView } from "../../watch/wire.js";
import type { PageBlock } from "./network-state.js";

/** Branch colours: chosen to be told apart in light and dark, and by most colour-blind readers. */
export const BRANCH_COLOURS = ["#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2"];

export function branchColour(branch: number): string {
  return branch < 0 ? "#9ca3af" : (BRANCH_COLOURS[branch % BRANCH_COLOURS.length] as string);
}

/**
 * Groups nodes by branch: two nodes are on one branch when one's tip is the
 * other's or an ancestor of it (a node merely behind is not on another
 * branch). Branch 0 is the best one (longest, then smallest tip hash, as the
 * fork choice says). Unreachable nodes or nodes without a tip get -1.
 */
export function branchesOf(
  nodes: readonly NodeView[],
  blocks: ReadonlyMap<string, PageBlock>,
): Map<string, number> {
  const tips = [
    ...new Map(nodes.filter((n) => n.tip).map((n) => [n.tip as string, n])).values(),
  ].sort((a, b) => b.length - a.length || ((a.tip as string) < (b.tip as string) ? -1 : 1));
  /** Each branch's head (its highest tip) and the hashes of its ancestry that the page holds. */
  const heads: { tip: string; ancestry: Set<string> }[] = [];
  const tipBranch = new Map<string, number>();
  // A tip below every other is the lowest a head's ancestry is asked about.
  const lowest = Math.min(
    ...tips.map((n) => Math.min(n.length - 1, blocks.get(n.tip as string)?.index ?? n.length - 1)),
  );
  for (const node of tips) {
    const tip = node.tip as string;
    const found = heads.findIndex((head) => head.ancestry.has(tip));
    if (found >= 0) {
      tipBranch.set(tip, found);
      continue;
    }
    tipBranch.set(tip, heads.length);
    heads.push({ tip, ancestry: ancestryOf(tip, blocks, lowest) });
  }
  const result = new Map<string, number>();
  for (const node of nodes) {
    result.set(node.address, node.tip && node.reachable ? (tipBranch.get(node.tip) ?? -1) : -1);
  }
  return result;
}

/**
 * A tip and its ancestors the page holds, down to height `floor` (what the caller reads: a walk
 * to the oldest block held would be thousands of steps a tip at every update). Bounded by the
 * blocks held: each step a new one.
 */
function ancestryOf(tip: string, blocks: ReadonlyMap<string, PageBlock>, floor = 0): Set<string> {
  const seen = new Set<string>();
  let hash: string | null = tip;
  while (hash && !seen.has(hash)) {
    seen.add(hash);
    const block = blocks.get(hash);
    if (!block || block.index <= floor) break;
    hash = block.previous_hash;
  }
  return seen;
}

/** One box of the fork tree: a block, or a straight run of blocks drawn as one. */
export interface TreeItem {
  /** The first (lowest) block of the item. */
  hash: string;
  /** The last (highest) block: the same as `hash` unless it is a run. */
  lastHash: string;
  from: number;
  to: number;
  column: number;
  lane: number;
  /** Nodes whose tip this item ends in. */
  tipOf: string[];
  /** More than one child: a fork point. */
  fork: boolean;
  /** On no node's branch (abandoned, or a race lost). */
  stale: boolean;
  parent: TreeItem | null;
}

export interface ForkTree {
  items: TreeItem[];
  columns: number;
  lanes: number;
  /** Open races: more than one tip at the top height. */
  race: { height: number; blocks: number } | null;
}

/** Heights drawn: the newest this many (older blocks make the trunk's first run). */
const TREE_HEIGHTS = 200;

/**
 * Lays out the tree of the blocks held within the newest heights: straight
 * runs (one child each, no tip, no fork) collapsed into one item, the best
 * branch on lane 0, each side branch on a lane of its own.
 */
export function layoutForkTree(
  blocks: ReadonlyMap<string, PageBlock>,
  nodes: readonly NodeView[],
): ForkTree {
  let top = 0;
  for (const block of blocks.values()) top = Math.max(top, block.index);
  const floor = top - TREE_HEIGHTS;
  const children = new Map<string, PageBlock[]>();
  const inWindow: PageBlock[] = [];
  for (const block of blocks.values()) {
    if (block.index < floor) continue;
    inWindow.push(block);
    if (block.previous_hash === null) continue;
    const list = children.get(block.previous_hash) ?? [];
    list.push(block);
    children.set(block.previous_hash, list);
  }
  const held = new Set(inWindow.map((b) => b.hash));
  const roots = inWindow
    .filter((b) => b.previous_hash === null || !held.has(b.previous_hash))
    .sort((a, b) => a.index - b.index);
  const tipsOf = new Map<string, string[]>();
  for (const node of nodes) {
    if (!node.tip) continue;
    tipsOf.set(node.tip, [...(tipsOf.get(node.tip) ?? []), node.address]);
  }
  const live = new Set<string>();
  for (const tip of tipsOf.keys())
    for (const hash of ancestryOf(tip, blocks, floor)) live.add(hash);
  // The best branch first: children ordered by the height they reach, then tips held.
  // Worked out once, highest blocks first, each from its children's (no walk per fork).
  const reach = new Map<string, number>();
  for (const block of [...inWindow].sort((a, b) => b.index - a.index)) {
    let best = block.index;
    for (const child of children.get(block.hash) ?? [])
      best = Math.max(best, reach.get(child.hash) ?? child.index);
    reach.set(block.hash, best);
  }
  const reachOf = (block: PageBlock): number => reach.get(block.hash) ?? block.index;
  const order = (list: PageBlock[]) =>
    [...list].sort(
      (a, b) =>
        Number(live.has(b.hash)) - Number(live.has(a.hash)) ||
        reachOf(b) - reachOf(a) ||
        (a.hash < b.hash ? -1 : 1),
    );

  // First the compressed tree: items (blocks or straight runs) and their children, breadth first.
  const items: TreeItem[] = [];
  const kidsOf = new Map<TreeItem, TreeItem[]>();
  let columns = 0;
  const work: { block: PageBlock; parent: TreeItem | null; column: number }[] = order(roots).map(
    (root) => ({ block: root, parent: null, column: 0 }),
  );
  // A queue read by position (shift() would copy it at every step).
  for (let next = 0; next < work.length && next < 20_000; next++) {
    const { block, parent, column } = work[next] as (typeof work)[number];
    let last = block;
    // Extend a straight run while it has one child, no tip, and the child is no tip or fork.
    for (;;) {
      const next = children.get(last.hash) ?? [];
      if (next.length !== 1 || tipsOf.has(last.hash)) break;
      const child = next[0] as PageBlock;
      if (tipsOf.has(child.hash) || (children.get(child.hash)?.length ?? 0) > 1) break;
      last = child;
    }
    const kids = order(children.get(last.hash) ?? []);
    const item: TreeItem = {
      hash: block.hash,
      lastHash: last.hash,
      from: block.index,
      to: last.index,
      column,
      lane: 0,
      tipOf: tipsOf.get(last.hash) ?? [],
      fork: kids.length > 1,
      stale: !live.has(last.hash),
      parent,
    };
    items.push(item);
    kidsOf.set(item, []);
    if (parent) kidsOf.get(parent)?.push(item);
    columns = Math.max(columns, column + 1);
    for (const kid of kids) work.push({ block: kid, parent: item, column: column + 1 });
  }
  // How far right each item's subtree reaches (children come after their parent in `items`).
  const reachColumn = new Map<TreeItem, number>();
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as TreeItem;
    let far = item.column;
    for (const kid of kidsOf.get(item) ?? [])
      far = Math.max(far, reachColumn.get(kid) ?? kid.column);
    reachColumn.set(item, far);
  }
  // Lanes: the first child keeps its parent's lane; another takes the lowest lane free over
  // its subtree's columns, so short abandoned branches share a few lanes instead of one each.
  const laneEnds: number[] = [];
  const take = (from: number, to: number, least: number): number => {
    let lane = least;
    while ((laneEnds[lane] ?? -1) >= from) lane++;
    laneEnds[lane] = to;
    return lane;
  };
  const stack: TreeItem[] = items.filter((i) => i.parent === null).reverse();
  for (const root of [...stack].reverse())
    root.lane = take(root.column, reachColumn.get(root) ?? root.column, 0);
  for (let steps = 0; stack.length > 0 && steps < 20_000; steps++) {
    const item = stack.pop() as TreeItem;
    const kids = kidsOf.get(item) ?? [];
    kids.forEach((kid, i) => {
      if (i === 0) {
        kid.lane = item.lane;
        laneEnds[item.lane] = Math.max(
          laneEnds[item.lane] ?? -1,
          reachColumn.get(kid) ?? kid.column,
        );
      } else {
        kid.lane = take(kid.column, reachColumn.get(kid) ?? kid.column, item.lane + 1);
      }
    });
    // Depth first, the first child last pushed: the best branch is laid out before its siblings.
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as TreeItem);
  }
  const lanes = laneEnds.length;
  return { items, columns, lanes, race: raceOf(nodes, blocks) };
}

/** More than one block at the best tips' height, each some node's tip: a race still open. */
function raceOf(nodes: readonly NodeView[], blocks: ReadonlyMap<string, PageBlock>) {
  const reachable = nodes.filter((n) => n.reachable && n.tip);
  if (reachable.length === 0) return null;
  const height = Math.max(...reachable.map((n) => n.length - 1));
  const tips = new Set(reachable.filter((n) => n.length - 1 === height).map((n) => n.tip));
  const atHeight = [...tips].filter(
    (tip) => (blocks.get(tip as string)?.index ?? height) === height,
  );
  return atHeight.length > 1 ? { height, blocks: atHeight.length } : null;
}
