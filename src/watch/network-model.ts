import type {
  BlockView,
  EventKind,
  LinkView,
  NetworkDelta,
  NetworkEvent,
  NetworkSnapshot,
  NodeView,
  Propagation,
  SpreadView,
} from "./wire.js";

/** Bins of the propagation histogram. */
const HISTOGRAM_BINS = 20;
/** Blocks in the waterfall. */
const WATERFALL_BLOCKS = 16;

export interface NetworkModelOptions {
  /** Most blocks kept (the oldest to arrive go first). */
  maxBlocks: number;
  /** Most events kept. */
  maxEvents: number;
  /** Most propagation samples kept (the newest). */
  maxSamples: number;
  /** A node this many blocks short of the longest chain is lagging. */
  lagBlocks: number;
  now?: () => number;
}

/** What a node's /status tells the view. */
export interface StatusReading {
  node_id: string;
  length: number;
  tip: string;
  pending: number;
  hashrate: number;
  neighbours: string[];
}

/** A block as a node tells it (its `seen` event or /blocks/seen; `filled` when read from /blocks). */
export interface Sighting {
  hash: string;
  previous_hash: string | null;
  index: number;
  first_seen: number;
  on_main: boolean;
  /** Read from the node's chain, not seen arrive: no time to count for propagation. */
  filled?: boolean;
}

export interface PeerReading {
  address: string;
  state: string;
  rtt_ms: number | null;
}

interface NodeState extends NodeView {
  lagging: boolean;
  /** Ever answered: the first answer is "joined", later ones after a silence "reachable". */
  known: boolean;
  /** A node that never answered was told unreachable once (with why: down, refused, wrong CA). */
  toldWhy: boolean;
  banned: Set<string>;
  links: LinkView[];
}

interface BlockState {
  hash: string;
  previous_hash: string | null;
  index: number;
  first_seen: number;
  /** Node address -> when it saw the block (its clock); undefined when filled from its chain. */
  seenBy: Map<string, number | undefined>;
  counted: boolean;
}

/**
 * The network as the watcher knows it: every node's last reading, every
 * block any node saw (a bounded tree), the events worth telling, and how
 * fast blocks spread. No I/O: the followers feed it, the server reads it.
 * Changes accumulate until `takeDelta()` (the server sends them batched).
 */
export class NetworkModel {
  private readonly nodes = new Map<string, NodeState>();
  private readonly blocks = new Map<string, BlockState>();
  /** Parent hash -> child hashes: a second child is a fork. */
  private readonly children = new Map<string, Set<string>>();
  private readonly events: NetworkEvent[] = [];
  private readonly samples: number[] = [];
  private readonly now: () => number;
  private dirtyNodes = new Set<string>();
  private dirtyBlocks = new Set<string>();
  private newEvents: NetworkEvent[] = [];
  private linksChanged = false;

  constructor(private readonly opts: NetworkModelOptions) {
    this.now = opts.now ?? Date.now;
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  get blockCount(): number {
    return this.blocks.size;
  }

  addresses(): string[] {
    return [...this.nodes.keys()];
  }

  has(address: string): boolean {
    return this.nodes.has(address);
  }

  /** A node to show (not yet heard from: unreachable until it answers). */
  addNode(address: string): void {
    if (this.nodes.has(address)) return;
    this.nodes.set(address, {
      address,
      node_id: null,
      reachable: false,
      length: 0,
      tip: null,
      pending: 0,
      hashrate: 0,
      neighbours: [],
      behind: 0,
      last_block_ms: null,
      lagging: false,
      known: false,
      toldWhy: false,
      banned: new Set(),
      links: [],
    });
    this.dirtyNodes.add(address);
  }

  noteStatus(address: string, status: StatusReading): void {
    const node = this.nodes.get(address);
    if (!node) return;
    if (!node.reachable) {
      node.reachable = true;
      this.event(node.known ? "reachable" : "joined", { node: address });
      node.known = true;
    }
    node.node_id = status.node_id;
    node.pending = status.pending;
    node.hashrate = status.hashrate;
    node.neighbours = status.neighbours;
    this.setTip(node, status.length, status.tip);
    this.dirtyNodes.add(address);
    this.updateBehind();
  }

  noteUnreachable(address: string, reason: string): void {
    const node = this.nodes.get(address);
    if (!node) return;
    if (!node.reachable) {
      // A node that never answered (down from the start, or refusing the view: no token,
      // a certificate not of the group's CA) is told once, with why; not at every poll.
      if (node.known || node.toldWhy) return;
      node.toldWhy = true;
      this.event("unreachable", { node: address, reason });
      return;
    }
    node.reachable = false;
    this.event("unreachable", { node: address, reason });
    this.dirtyNodes.add(address);
    this.updateBehind();
  }

  noteSeen(address: string, seen: Sighting): void {
    const node = this.nodes.get(address);
    if (!node) return;
    let block = this.blocks.get(seen.hash);
    if (!block) {
      block = {
        hash: seen.hash,
        previous_hash: seen.previous_hash,
        index: seen.index,
        first_seen: seen.first_seen,
        seenBy: new Map(),
        counted: seen.filled === true,
      };
      this.blocks.set(seen.hash, block);
      this.linkChild(block);
      this.prune();
    } else if (!seen.filled && seen.first_seen < block.first_seen) {
      block.first_seen = seen.first_seen;
    }
    if (!block.seenBy.has(address) || (!seen.filled && block.seenBy.get(address) === undefined)) {
      block.seenBy.set(address, seen.filled ? undefined : seen.first_seen);
      this.dirtyBlocks.add(block.hash);
    }
    if (seen.on_main && seen.index + 1 >= node.length) {
      this.setTip(node, seen.index + 1, seen.hash);
      this.updateBehind();
    }
    this.countSpread(block);
  }

  noteReorg(
    address: string,
    reorg: { fork_index: number; old_tip: string; new_tip: string },
  ): void {
    const node = this.nodes.get(address);
    if (!node) return;
    const oldIndex = this.blocks.get(reorg.old_tip)?.index ?? node.length - 1;
    const depth = Math.max(1, oldIndex - reorg.fork_index);
    this.event("reorg", {
      node: address,
      depth,
      fork_index: reorg.fork_index,
      old_tip: reorg.old_tip,
      new_tip: reorg.new_tip,
    });
  }

  notePeers(address: string, peers: readonly PeerReading[]): void {
    const node = this.nodes.get(address);
    if (!node) return;
    const banned = new Set(peers.filter((p) => p.state === "banned").map((p) => p.address));
    for (const peer of banned) {
      if (!node.banned.has(peer)) this.event("ban", { node: address, peer });
    }
    node.banned = banned;
    const links = peers.map((p) => ({
      from: address,
      to: p.address,
      state: p.state,
      rtt_ms: p.rtt_ms,
    }));
    if (JSON.stringify(links) !== JSON.stringify(node.links)) {
      node.links = links;
      this.linksChanged = true;
    }
  }

  /** A note from the view itself (a split or heal asked from the page). */
  noteControl(what: string, detail: Record<string, unknown> = {}): void {
    this.event("control", { what, ...detail });
  }

  snapshot(controls: boolean): NetworkSnapshot {
    const tips = this.tipsByHash();
    return {
      nodes: [...this.nodes.values()].map(nodeView),
      blocks: [...this.blocks.values()].map((b) => blockView(b, tips)),
      propagation: this.propagation(),
      events: [...this.events],
      links: this.links(),
      waterfall: this.waterfall(),
      controls,
    };
  }

  /** What changed since the last call, or null when nothing did. */
  takeDelta(): NetworkDelta | null {
    if (
      this.dirtyNodes.size === 0 &&
      this.dirtyBlocks.size === 0 &&
      this.newEvents.length === 0 &&
      !this.linksChanged
    ) {
      return null;
    }
    const tips = this.tipsByHash();
    const delta: NetworkDelta = {
      nodes: [...this.dirtyNodes].flatMap((a) => {
        const node = this.nodes.get(a);
        return node ? [nodeView(node)] : [];
      }),
      blocks: [...this.dirtyBlocks].flatMap((h) => {
        const block = this.blocks.get(h);
        return block ? [blockView(block, tips)] : [];
      }),
      events: this.newEvents,
      propagation: this.propagation(),
      links: this.linksChanged ? this.links() : null,
      waterfall: this.waterfall(),
    };
    this.dirtyNodes = new Set();
    this.dirtyBlocks = new Set();
    this.newEvents = [];
    this.linksChanged = false;
    return delta;
  }

  propagation(): Propagation {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted.length === 0
        ? null
        : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
    const live = this.liveBlocks();
    const top = Math.max(0, ...[...this.nodes.values()].map((n) => n.length - 1));
    let stale = 0;
    // A block at the top may still be taken: only those below the longest tip count as stale.
    for (const block of this.blocks.values())
      if (!live.has(block.hash) && block.index < top) stale++;
    const max = sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number);
    const binMs = Math.max(1, Math.ceil((max + 1) / HISTOGRAM_BINS));
    const bins = new Array<number>(HISTOGRAM_BINS).fill(0);
    for (const ms of sorted) {
      const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor(ms / binMs));
      bins[bin] = (bins[bin] ?? 0) + 1;
    }
    return {
      p50_ms: at(0.5),
      p90_ms: at(0.9),
      max_ms: sorted.length === 0 ? null : (sorted[sorted.length - 1] as number),
      samples: sorted.length,
      stale,
      seen: this.blocks.size,
      bins,
      bin_ms: binMs,
    };
  }

  /** The newest blocks seen arrive (not read from a chain), each with when every node saw it. */
  waterfall(): SpreadView[] {
    const spreads: SpreadView[] = [];
    const newest = [...this.blocks.values()].reverse();
    for (const block of newest) {
      if (spreads.length >= WATERFALL_BLOCKS) break;
      const offsets: SpreadView["offsets"] = [];
      for (const [node, at] of block.seenBy) {
        if (at !== undefined) offsets.push({ node, ms: Math.max(0, at - block.first_seen) });
      }
      if (offsets.length === 0) continue;
      offsets.sort((a, b) => a.ms - b.ms);
      spreads.push({ hash: block.hash, index: block.index, first_seen: block.first_seen, offsets });
    }
    return spreads;
  }

  private links(): LinkView[] {
    return [...this.nodes.values()].flatMap((n) => n.links);
  }

  /** Blocks on some node's chain now: every tip and its ancestors the model holds. */
  private liveBlocks(): Set<string> {
    const live = new Set<string>();
    for (const node of this.nodes.values()) {
      let hash = node.tip;
      // Bounded by the blocks held: each step enters a block not visited before.
      while (hash && !live.has(hash)) {
        const block = this.blocks.get(hash);
        if (!block) break;
        live.add(hash);
        hash = block.previous_hash;
      }
    }
    return live;
  }

  private tipsByHash(): Map<string, string[]> {
    const tips = new Map<string, string[]>();
    for (const node of this.nodes.values()) {
      if (!node.tip) continue;
      const list = tips.get(node.tip) ?? [];
      list.push(node.address);
      tips.set(node.tip, list);
    }
    return tips;
  }

  private setTip(node: NodeState, length: number, tip: string): void {
    if (node.tip === tip && node.length === length) return;
    if (node.tip) this.dirtyBlocks.add(node.tip);
    this.dirtyBlocks.add(tip);
    if (node.tip !== null) node.last_block_ms = this.now();
    node.tip = tip;
    node.length = length;
    this.dirtyNodes.add(node.address);
  }

  /** `behind` of every node against the longest chain a reachable node holds; lagging ones told. */
  private updateBehind(): void {
    let longest = 0;
    for (const node of this.nodes.values())
      if (node.reachable) longest = Math.max(longest, node.length);
    for (const node of this.nodes.values()) {
      const behind = node.length > 0 ? Math.max(0, longest - node.length) : 0;
      if (behind !== node.behind) {
        node.behind = behind;
        this.dirtyNodes.add(node.address);
      }
      // An unreachable node's lag is unknown: it is told again once the node answers.
      if (!node.reachable) continue;
      const lagging = behind >= this.opts.lagBlocks;
      if (lagging !== node.lagging) {
        node.lagging = lagging;
        this.event(lagging ? "lagging" : "caught-up", { node: node.address, behind });
      }
    }
  }

  /** Records how long a block took from its first sighting to every reachable node, once. */
  private countSpread(block: BlockState): void {
    if (block.counted) return;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    let reachable = 0;
    for (const node of this.nodes.values()) {
      if (!node.reachable) continue;
      reachable++;
      const at = block.seenBy.get(node.address);
      if (at === undefined) return;
      first = Math.min(first, at);
      last = Math.max(last, at);
    }
    if (reachable < 2) return;
    block.counted = true;
    this.samples.push(Math.max(0, last - first));
    if (this.samples.length > this.opts.maxSamples) this.samples.shift();
  }

  private linkChild(block: BlockState): void {
    if (block.previous_hash === null) return;
    const siblings = this.children.get(block.previous_hash) ?? new Set<string>();
    siblings.add(block.hash);
    this.children.set(block.previous_hash, siblings);
    if (siblings.size === 2) {
      this.event("fork", {
        index: block.index,
        parent: block.previous_hash,
        hashes: [...siblings],
      });
    } else if (siblings.size > 2) {
      this.event("fork", { index: block.index, parent: block.previous_hash, hashes: [block.hash] });
    }
  }

  /** Drops the blocks that arrived first beyond the cap (a Map keeps insertion order). */
  private prune(): void {
    for (const [hash, block] of this.blocks) {
      if (this.blocks.size <= this.opts.maxBlocks) return;
      this.blocks.delete(hash);
      this.dirtyBlocks.delete(hash);
      if (block.previous_hash !== null) {
        const siblings = this.children.get(block.previous_hash);
        siblings?.delete(hash);
        if (siblings?.size === 0) this.children.delete(block.previous_hash);
      }
      this.children.delete(hash);
    }
  }

  private event(kind: EventKind, detail: Record<string, unknown>): void {
    const event: NetworkEvent = { at: this.now(), kind, ...detail };
    this.events.push(event);
    if (this.events.length > this.opts.maxEvents) this.events.shift();
    this.newEvents.push(event);
  }
}

function nodeView(node: NodeState): NodeView {
  return {
    address: node.address,
    node_id: node.node_id,
    reachable: node.reachable,
    length: node.length,
    tip: node.tip,
    pending: node.pending,
    hashrate: node.hashrate,
    neighbours: node.neighbours,
    behind: node.behind,
    last_block_ms: node.last_block_ms,
  };
}

function blockView(block: BlockState, tips: Map<string, string[]>): BlockView {
  return {
    hash: block.hash,
    previous_hash: block.previous_hash,
    index: block.index,
    first_seen: block.first_seen,
    seen_by: [...block.seenBy.keys()],
    tip_of: tips.get(block.hash) ?? [],
  };
}
