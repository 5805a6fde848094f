// The page's picture of the network: the watcher's snapshot, deltas applied as they come,
// and a bounded history of frames for replay. Pure: unit-tested without a browser.
import type {
  BlockView,
  LinkView,
  NetworkDelta,
  NetworkEvent,
  NetworkSnapshot,
  NodeView,
  Propagation,
  SpreadView,
} from "../../watch/wire.js";

/** A block as the page holds it: when the page learnt of it, for replay. */
export interface PageBlock extends BlockView {
  arrived: number;
}

/** The nodes at one moment: what the consensus strip and replay read. */
export interface Frame {
  at: number;
  nodes: NodeView[];
}

export interface NetworkState {
  nodes: NodeView[];
  blocks: Map<string, PageBlock>;
  events: NetworkEvent[];
  propagation: Propagation;
  links: LinkView[];
  waterfall: SpreadView[];
  controls: boolean;
  frames: Frame[];
  /** Bumped at every change: views memoise on it. */
  version: number;
  /**
   * Bumped only when blocks come or go: the fork tree and the branches, the page's costliest
   * work, are redone only then (most updates change a node's row, not the tree).
   */
  blocksVersion: number;
}

/** Most blocks the page keeps (the oldest to arrive go first), most events, most frames. */
export const PAGE_LIMITS = { blocks: 5000, events: 1000, frames: 3000, frameGapMs: 1000 };
/** How far back replay reaches. */
export const REPLAY_MS = 10 * 60 * 1000;

export function emptyState(): NetworkState {
  return {
    nodes: [],
    blocks: new Map(),
    events: [],
    propagation: {
      p50_ms: null,
      p90_ms: null,
      max_ms: null,
      samples: 0,
      stale: 0,
      seen: 0,
      bins: [],
      bin_ms: 1,
    },
    links: [],
    waterfall: [],
    controls: false,
    frames: [],
    version: 0,
    blocksVersion: 0,
  };
}

/** A whole new picture (the stream's first event, and each reconnection's). */
export function fromSnapshot(
  snapshot: NetworkSnapshot,
  now: number,
  before?: NetworkState,
): NetworkState {
  const blocks = new Map<string, PageBlock>();
  for (const block of snapshot.blocks) {
    blocks.set(block.hash, { ...block, arrived: before?.blocks.get(block.hash)?.arrived ?? now });
  }
  const state: NetworkState = {
    nodes: snapshot.nodes,
    blocks,
    events: snapshot.events.slice(-PAGE_LIMITS.events),
    propagation: snapshot.propagation,
    links: snapshot.links,
    waterfall: snapshot.waterfall,
    controls: snapshot.controls,
    frames: before?.frames ?? [],
    version: (before?.version ?? 0) + 1,
    blocksVersion: (before?.blocksVersion ?? 0) + 1,
  };
  recordFrame(state, now);
  return state;
}

/** Applies one delta in place (the state is the page's own; views read `version`). */
export function applyDelta(state: NetworkState, delta: NetworkDelta, now: number): void {
  if (delta.nodes.length > 0) {
    const byAddress = new Map(state.nodes.map((n) => [n.address, n]));
    for (const node of delta.nodes) byAddress.set(node.address, node);
    state.nodes = [...byAddress.values()];
  }
  for (const block of delta.blocks) {
    const arrived = state.blocks.get(block.hash)?.arrived ?? now;
    state.blocks.set(block.hash, { ...block, arrived });
  }
  for (const hash of state.blocks.keys()) {
    if (state.blocks.size <= PAGE_LIMITS.blocks) break;
    state.blocks.delete(hash);
  }
  if (delta.blocks.length > 0) state.blocksVersion++;
  if (delta.events.length > 0) {
    state.events = state.events.concat(delta.events).slice(-PAGE_LIMITS.events);
  }
  state.propagation = delta.propagation;
  if (delta.links) state.links = delta.links;
  state.waterfall = delta.waterfall;
  state.version++;
  recordFrame(state, now);
}

/** Keeps the nodes as they are now, at most one frame per gap (the last one in a gap wins). */
function recordFrame(state: NetworkState, now: number): void {
  const last = state.frames[state.frames.length - 1];
  if (last && now - last.at < PAGE_LIMITS.frameGapMs) {
    last.nodes = state.nodes;
    return;
  }
  state.frames.push({ at: now, nodes: state.nodes });
  const oldest = now - REPLAY_MS;
  while (state.frames.length > PAGE_LIMITS.frames || (state.frames[0]?.at ?? now) < oldest) {
    state.frames.shift();
  }
}

/** The picture as it was at `at` (replay): the nodes of the frame then, the blocks and events known then. */
export function stateAt(state: NetworkState, at: number): NetworkState {
  let frame: Frame | undefined;
  for (const f of state.frames) {
    if (f.at > at) break;
    frame = f;
  }
  const blocks = new Map<string, PageBlock>();
  for (const [hash, block] of state.blocks) if (block.arrived <= at) blocks.set(hash, block);
  return {
    ...state,
    nodes: frame?.nodes ?? [],
    blocks,
    events: state.events.filter((e) => e.at <= at),
    version: state.version * 1_000_003 + at,
    blocksVersion: state.blocksVersion * 1_000_003 + at,
  };
}
