import { setTimeout as delay } from "node:timers/promises";
import type { Block } from "../core/block.js";
import { hashBlock } from "../core/hash.js";
import { keepAliveAgent } from "../net/http-client.js";
import type { NetworkModel, PeerReading, Sighting, StatusReading } from "./network-model.js";
import {
  type NodeAccess,
  openEventStream,
  readJson,
  SseParser,
  type StreamEvent,
} from "./node-reader.js";

export interface NodeFollowerOptions {
  /** Between two polls of /status and /peers. */
  pollMs: number;
  requestTimeoutMs: number;
  maxBodyBytes: number;
  /** Blocks of a node's chain read at first contact (the tree's trunk before the view started). */
  trunkBlocks: number;
  /** A stream silent this long (no event, no keep-alive) is opened again. */
  streamIdleMs: number;
  /** Longest pause before the stream is opened again after it broke. */
  maxRetryMs: number;
}

export interface NodeFollowerDeps {
  model: NetworkModel;
  /** Addresses a node named as its neighbours: the watcher may follow them too. */
  discovered: (addresses: string[]) => void;
  /** HTTPS, CA and token for this node (none: plain HTTP, no token). */
  access?: Omit<NodeAccess, "agent">;
}

/** Most pages of /blocks/seen read to fill one gap. */
const MAX_GAP_PAGES = 4;

/**
 * Follows one node: its /events stream (resumed with Last-Event-ID; a gap
 * filled from /blocks/seen), and a poll of /status and /peers as a safety
 * net, all fed to the model. stop() ends both loops.
 */
export class NodeFollower {
  private readonly abort = new AbortController();
  private lastEventId: string | null = null;
  /** The newest first_seen (the node's clock) read from it: gaps are filled from there. */
  private lastFirstSeen = 0;
  private trunkRead = false;
  private loops: Promise<void>[] = [];
  private readonly access: NodeAccess;

  constructor(
    readonly address: string,
    private readonly opts: NodeFollowerOptions,
    private readonly deps: NodeFollowerDeps,
  ) {
    const access = deps.access ?? { https: false };
    // The polls reuse their connections: a TLS handshake every 1-2 s per node is work for nothing.
    const agent = keepAliveAgent(access.https ? (access.ca ? { ca: access.ca } : {}) : undefined);
    this.access = { ...access, agent };
  }

  start(): void {
    this.deps.model.addNode(this.address);
    this.loops = [this.pollLoop(), this.streamLoop()];
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    this.access.agent?.destroy();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private read(path: string): Promise<unknown> {
    return readJson(this.address, path, this.access, {
      timeoutMs: this.opts.requestTimeoutMs,
      maxBytes: this.opts.maxBodyBytes,
      signal: this.abort.signal,
    });
  }

  /** Polls until stopped (each round bounded by the request time-out). */
  private async pollLoop(): Promise<void> {
    while (!this.stopped) {
      await this.pollOnce();
      await delay(this.opts.pollMs, undefined, { signal: this.abort.signal }).catch(
        () => undefined,
      );
    }
  }

  /** One reading of /status and /peers; a failure marks the node unreachable. */
  async pollOnce(): Promise<void> {
    const { model } = this.deps;
    let status: StatusReading;
    try {
      status = statusOf(await this.read("/status"));
    } catch (err) {
      if (!this.stopped) model.noteUnreachable(this.address, (err as Error).message);
      return;
    }
    // /status decides reachability; the rest may be missing (an older node has no /peers).
    if (!this.trunkRead) await this.readTrunk(status.length).catch(() => undefined);
    model.noteStatus(this.address, status);
    this.deps.discovered(status.neighbours);
    try {
      const peers = (await this.read("/peers")) as { peers?: unknown };
      if (Array.isArray(peers.peers)) model.notePeers(this.address, peers.peers.flatMap(peerOf));
    } catch {
      // Read again at the next poll.
    }
  }

  /** The last blocks of the node's chain: the tree's trunk from before the view started. */
  private async readTrunk(length: number): Promise<void> {
    const from = Math.max(0, length - this.opts.trunkBlocks);
    const page = (await this.read(`/blocks?from=${from}&limit=${this.opts.trunkBlocks}`)) as {
      blocks?: Block[];
    };
    for (const block of page.blocks ?? []) {
      this.deps.model.noteSeen(this.address, {
        hash: hashBlock(block),
        previous_hash: block.previous_hash,
        index: block.index,
        first_seen: block.timestamp,
        on_main: true,
        filled: true,
      });
    }
    this.trunkRead = true;
  }

  /** Keeps the event stream open until stopped, opening it again after each break. */
  private async streamLoop(): Promise<void> {
    let retryMs = 250;
    while (!this.stopped) {
      const opened = await this.followEvents().catch(() => false);
      if (this.stopped) return;
      retryMs = opened ? 250 : Math.min(this.opts.maxRetryMs, retryMs * 2);
      await delay(retryMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }

  /** One stream: opened (resuming), its gap filled, read until it ends or goes silent. True once it opened. */
  private async followEvents(): Promise<boolean> {
    const stream = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, stream.signal]);
    let idle = setTimeout(() => stream.abort(), this.opts.requestTimeoutMs);
    try {
      const response = await openEventStream(this.address, this.access, {
        lastEventId: this.lastEventId,
        signal,
      });
      await this.fillGap();
      const parser = new SseParser((event) => this.onEvent(event));
      response.setEncoding("utf8");
      clearTimeout(idle);
      idle = setTimeout(() => stream.abort(), this.opts.streamIdleMs);
      for await (const chunk of response) {
        clearTimeout(idle);
        idle = setTimeout(() => stream.abort(), this.opts.streamIdleMs);
        parser.push(chunk as string);
      }
      return true;
    } catch {
      return this.lastEventId !== null;
    } finally {
      clearTimeout(idle);
    }
  }

  /** The blocks the node saw while the stream was closed (or before it first opened). */
  private async fillGap(): Promise<void> {
    for (let page = 0; page < MAX_GAP_PAGES; page++) {
      // One ms back: blocks seen in the same ms as the last one read are not lost (the model dedupes).
      const after = Math.max(0, this.lastFirstSeen - 1);
      const answer = (await this.read(`/blocks/seen?after=${after}`)) as { blocks?: unknown[] };
      const blocks = (answer.blocks ?? []).flatMap(sightingOf);
      for (const seen of blocks) this.noteSeen(seen);
      if (blocks.length < 1000) return;
    }
  }

  private onEvent(event: StreamEvent): void {
    if (event.id) this.lastEventId = event.id;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (event.event === "seen") {
      for (const seen of sightingOf(data)) this.noteSeen(seen);
    } else if (event.event === "reorg") {
      const reorg = data as { fork_index?: unknown; old_tip?: unknown; new_tip?: unknown };
      if (
        typeof reorg.fork_index === "number" &&
        typeof reorg.old_tip === "string" &&
        typeof reorg.new_tip === "string"
      ) {
        this.deps.model.noteReorg(this.address, {
          fork_index: reorg.fork_index,
          old_tip: reorg.old_tip,
          new_tip: reorg.new_tip,
        });
      }
    } else if (event.event === "neighbours" && Array.isArray(data)) {
      this.deps.discovered(data.filter((a): a is string => typeof a === "string"));
    }
  }

  private noteSeen(seen: Sighting): void {
    this.lastFirstSeen = Math.max(this.lastFirstSeen, seen.first_seen);
    this.deps.model.noteSeen(this.address, seen);
  }
}

const HASH = /^[0-9a-f]{64}$/;

/** A node's /status, checked for what the view reads of it. */
function statusOf(body: unknown): StatusReading {
  const s = body as Partial<Record<keyof StatusReading, unknown>>;
  if (typeof s?.length !== "number" || typeof s.tip !== "string" || !Array.isArray(s.neighbours)) {
    throw new Error("its /status lacks length, tip or neighbours");
  }
  return {
    node_id: typeof s.node_id === "string" ? s.node_id : "",
    length: s.length,
    tip: s.tip,
    pending: typeof s.pending === "number" ? s.pending : 0,
    hashrate: typeof s.hashrate === "number" ? s.hashrate : 0,
    neighbours: s.neighbours.filter((a): a is string => typeof a === "string").slice(0, 64),
  };
}

function sightingOf(value: unknown): Sighting[] {
  const s = value as Partial<Record<keyof Sighting, unknown>>;
  if (
    typeof s?.hash !== "string" ||
    !HASH.test(s.hash) ||
    typeof s.index !== "number" ||
    typeof s.first_seen !== "number" ||
    !(s.previous_hash === null || typeof s.previous_hash === "string")
  ) {
    return [];
  }
  return [
    {
      hash: s.hash,
      previous_hash: s.previous_hash,
      index: s.index,
      first_seen: s.first_seen,
      on_main: s.on_main === true,
    },
  ];
}

function peerOf(value: unknown): PeerReading[] {
  const p = value as Partial<Record<keyof PeerReading, unknown>>;
  if (typeof p?.address !== "string" || typeof p.state !== "string") return [];
  return [
    { address: p.address, state: p.state, rtt_ms: typeof p.rtt_ms === "number" ? p.rtt_ms : null },
  ];
}
