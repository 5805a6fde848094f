import { afterEach } from "node:test";
import { ChainState } from "../../src/chain/chain-state.js";
import { DEFAULTS } from "../../src/config/config.js";
import { silentLogger } from "../../src/config/logger.js";
import { NodeMetrics } from "../../src/config/metrics.js";
import { JobScheduler } from "../../src/config/scheduler.js";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { Network, type NetworkOptions } from "../../src/net/network.js";
import { newNodeId } from "../../src/net/node-id.js";
import { type ChainFormat, codecFor } from "../../src/storage/codecs/chain-format.js";
import { BlockRecords } from "../../src/storage/index/block-records.js";
import { IdIndex } from "../../src/storage/index/id-index.js";
import { memoryPool } from "../helpers/memory-pool.js";
import { mineNext } from "../helpers/tiny-chain.js";
import type { PeerServer } from "./peer-server.js";

/** A branch: the first `forkAt + 1` blocks of `base`, then `extra` blocks of its own. */
export function branch(
  base: readonly Block[],
  forkAt: number,
  extra: number,
  tag: string,
  difficulty = 1,
): Block[] {
  const chain = base.slice(0, forkAt + 1);
  for (let i = 0; i < extra; i++) {
    const parent = chain[chain.length - 1] as Block;
    const block = mineNext(parent, difficulty, `${tag} ${parent.index + 1}`, parent.timestamp + 7);
    // Unique per (tag, index), so that branches never share ids by accident; `tag` is hex.
    block.data.id = `${tag}${(parent.index + 1).toString(16).padStart(32 - tag.length, "0")}`;
    chain.push(block);
  }
  return chain;
}

/** A valid chain of `length` blocks (genesis included) at difficulty 1, with unique ids. */
export function longChain(length: number): Block[] {
  return branch([genesisBlock()], 0, length - 1, "e");
}

/** A chain of `blocks` held as records of `format`, as a loaded chain file of that format holds them. */
export function chainIn(blocks: readonly Block[], format: ChainFormat): ChainState {
  if (format === "json") return new ChainState(blocks, { difficulty: 1 });
  const records = BlockRecords.empty(codecFor(format));
  const ids = new IdIndex();
  for (const block of blocks) {
    records.push(block, hashBlock(block));
    ids.add(block.data.id);
  }
  return new ChainState({ records, ids }, { difficulty: 1 });
}

/**
 * A Network on real chain (its records in `format`), pool and scheduler,
 * with every job's interval long (tests run them).
 */
export function localNode(
  chain: readonly Block[],
  opts: Partial<NetworkOptions> = {},
  maxPending = 1000,
  format: ChainFormat = "json",
) {
  const state = chainIn(chain, format);
  const pending = memoryPool(state, maxPending);
  const logger = silentLogger();
  const scheduler = new JobScheduler({ logger });
  const metrics = new NodeMetrics();
  const network = new Network(
    {
      self: "127.0.0.1:9",
      nodeId: newNodeId(),
      neighbours: [],
      maxNeighbours: 3,
      gossipIntervalS: 3600,
      chainSyncIntervalS: 3600,
      dataSyncIntervalS: 3600,
      requestTimeoutMs: 2000,
      maxResponseBytes: DEFAULTS.peerMaxResponseBytes,
      maxPeerFailures: 3,
      banDurationS: 600,
      pageLimit: 1000,
      maxMessageBytes: DEFAULTS.maxMessageBytes,
      ...opts,
    },
    { chain: state, pending, scheduler, logger, metrics },
  );
  return {
    network,
    chain: state,
    pending,
    scheduler,
    metrics,
    async stop() {
      await network.stop();
      await scheduler.stop();
    },
  };
}

/**
 * Stops what each test started once it ends, last first, however it ends.
 * Call once at the top level of a test file: `node` makes a localNode and
 * `started` starts a peer, both stopped after the test.
 */
export function stoppedAfterEach() {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (stops.length > 0) await stops.pop()?.();
  });
  return {
    node(...args: Parameters<typeof localNode>) {
      const n = localNode(...args);
      stops.push(() => n.stop());
      return n;
    },
    async started(peer: PeerServer): Promise<PeerServer> {
      await peer.start();
      stops.push(() => peer.stop());
      return peer;
    },
  };
}
