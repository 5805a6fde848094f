import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../core/data.js";
import type { ProofRuleName } from "../core/proof-rules.js";

/** The log levels a node accepts (pino's), for --log-level and the Miner's logLevel. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The console log formats (--log-format): readable lines, or JSON lines for log collectors. */
export const LOG_FORMATS = ["pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Every default of the node, in one place: flags, the Miner constructor and tests read them here. */
export const DEFAULTS = Object.freeze({
  host: "127.0.0.1",
  port: 12345,
  chainPath: ".blockchain/chain.json",
  chainSerialization: "json" as "json" | "binary",
  difficulty: 5,
  /** The proof rule (SPEC section 2): the original's, or the content-bound one. */
  proofRule: "original" as ProofRuleName,
  /**
   * A content-rule search whose block waits this long is restarted with a
   * fresh timestamp, so that a block's time stays within about this of when it was found.
   */
  restampAfterMs: 1000,
  maxNeighbours: 3,
  gossipIntervalS: 20,
  chainSyncIntervalS: 10,
  dataSyncIntervalS: 5,
  backupIntervalS: 30,
  workers: availableParallelism(),
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  /** How many pending messages a node holds before it answers 503. */
  maxPending: 10_000,
  /** Dead records the pending journal holds at least before a backup compacts it. */
  journalCompactMinDead: 1000,
  /** Share of the pending set one relaying source (a neighbour, or an address posting) may hold. */
  pendingSourceShare: 0.25,
  /** Share of the pending set relayed messages leave free for local PUT /add. */
  pendingLocalReserve: 0.1,
  /** Consecutive failures after which a neighbour is dropped. */
  maxPeerFailures: 3,
  /** First pause before a failing peer is tried again; it doubles with each failure in a row. */
  peerRetryBaseMs: 500,
  /** Longest pause between tries of a neighbour named on the command line (SPEC: at most 10 s). */
  pinnedPeerRetryMaxMs: 10_000,
  /** Longest pause between tries of a learnt peer. */
  learntPeerRetryMaxMs: 30_000,
  /** A learnt peer silent this long (and not a neighbour) is forgotten. */
  peerEvictAfterMs: 30 * 60_000,
  /** How long a misbehaving peer stays banned. */
  banDurationS: 600,
  /** Time-out of one outgoing request to a peer. */
  peerRequestTimeoutMs: 5_000,
  /** Largest answer read from a peer. */
  peerMaxResponseBytes: 16 * 1024 * 1024,
  /** Most blocks served or fetched in one page. */
  blocksPageLimit: 1000,
  /** Most blocks in one page of records (GET /blocks negotiated by Accept: binary or JSON Lines records). */
  recordPageLimit: 50_000,
  /**
   * Most bytes in one page of records (past its first block): half a peer's
   * answer cap. A page of fewer blocks than asked is still whole when it
   * holds half this or more (large messages).
   */
  recordPageBytes: 8 * 1024 * 1024,
  /** Largest page of GET /blocks and answer of GET /data, in bytes of JSON (the count limit holds too). */
  maxPageBytes: 8 * 1024 * 1024,
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: 10_000,
  /** A connection on which nothing moves this long (a client that does not read its answer) is closed. */
  stalledConnectionMs: 30_000,
  /** Most connections served at once: half the open-file limit, at most 1024 (see docs/design.md). */
  maxConnections: defaultMaxConnections(),
  /** Most pending messages in one page of GET /data?after=&limit= (data sync between peers). */
  dataPageLimit: 1000,
  /** Most pages one data sync round asks a peer for. */
  dataSyncMaxPages: 100,
  /** Most bytes of JSON in one such page: far below the peers' answer cap. */
  dataPageBytes: 4 * 1024 * 1024,
  /** Largest body the API reads. */
  maxBodyBytes: 8 * 1024 * 1024,
  /** A switch of branch abandoning this many blocks or more is a deep reorg: logged and counted. */
  deepReorgBlocks: 6,
  /** Size at which miner.log is rotated. */
  logRotateBytes: 10 * 1024 * 1024,
  /** Longest one chain sync with one peer may run before the round moves on. */
  maxSyncMs: 10 * 60 * 1000,
  /**
   * A chain sync saves its blocks once this many bytes of records are unsaved
   * (and waits at twice this): what a fresh node syncing a long chain holds
   * beyond its index (`syncSaveBytes`, BLOCKCHAIN_SYNC_SAVE_BYTES).
   */
  syncSaveBytes: 64 * 1024 * 1024,
  /**
   * The smallest chain file whose index a clean stop keeps on disk
   * (`indexSnapshotBytes`, BLOCKCHAIN_INDEX_SNAPSHOT_BYTES): every one, so that
   * small and large chains start on the same path; a large number turns it off.
   */
  indexSnapshotBytes: 0,
  /** Most chain syncs running at once, each with its own peer. */
  maxConcurrentSyncs: 3,
  /** A sync waits this long at most for the one running (one at a time unless one is slow). */
  syncOverlapAfterMs: 5_000,
  /**
   * Peer failures in the first moments after start are not counted (peers
   * started together come up one by one): one gossip interval, at most this.
   */
  maxStartGraceMs: 30_000,
  /** Push: blocks per announce (a peer missing more answers 409 and syncs), messages per POST /data, messages queued for one slow peer (beyond, data sync repairs). */
  relay: Object.freeze({ maxBlocksPerPush: 32, maxDataPerPush: 256, maxQueuedData: 10_000 }),
  /** A client must send its whole request within this time, an idle new connection too (event streams only receive). */
  requestTimeoutMs: 30_000,
  /** Callers learnt as neighbours: one /status check per address per cooldown, a few at once. */
  callerCheck: Object.freeze({ cooldownMs: 60_000, maxInFlight: 4 }),
  /** Most event streams served at once; more answer 429. */
  maxEventClients: 256,
  /** Most event streams one client address holds, so that one client cannot take every slot. */
  maxEventClientsPerAddress: 32,
  /** An event-stream client this far behind (bytes buffered, unread) is dropped. */
  maxEventBufferedBytes: 4 * 1024 * 1024,
  /** Recent events kept for clients that resume with Last-Event-ID (count and bytes). */
  eventRingEvents: 1024,
  /** Blocks a node remembers having seen, adopted or not (GET /blocks/seen; SPEC: at least 1,000). */
  seenBlocksKept: 2048,
  /** Most entries of GET /blocks/seen in one answer. */
  seenBlocksPageLimit: 1000,
  eventRingBytes: 8 * 1024 * 1024,
  /** A comment line this often keeps proxies from closing a quiet event stream. */
  eventHeartbeatMs: 15_000,
  /** Longest pause of the mining loop after repeated failures. */
  maxMiningBackoffMs: 30_000,
  /**
   * Proofs per chunk handed to a search worker: about 20 ms of work for one
   * thread, long enough that the one message per chunk costs nothing, short
   * enough that a find is confirmed soon.
   */
  proofChunkSize: 1 << 16,
  /**
   * The same for the native core (about 20-60 ms of one thread): its workers
   * check for an ended search every few milliseconds whatever the chunk.
   */
  nativeProofChunkSize: { "native-portable": 1 << 18, "native-sha-ni": 1 << 20 },
  logLevel: "info" as LogLevel,
  uiPort: 8080,
  /** The network view (`blockchain watch`): its port, and most nodes it follows. */
  watchPort: 8090,
  watchMaxNodes: 64,
  devnetNodes: 3,
  devnetDifficulty: 4,
});

export type ChainSerialization = "json" | "binary";

/**
 * The media type of a page of blocks as binary records (GET /blocks with this
 * in Accept): the records of the binary chain format one after another,
 * without the file header; the chain's length in the X-Chain-Length header.
 */
export const BINARY_RECORDS_MEDIA_TYPE = "application/vnd.blockchain.records";

/**
 * The media type of a page of blocks as JSON Lines records (GET /blocks with
 * this in Accept): the lines of a JSON chain file, each the canonical encoding
 * of its block and "\n"; the chain's length in the X-Chain-Length header.
 */
export const JSON_LINES_RECORDS_MEDIA_TYPE = "application/vnd.blockchain.jsonl";

/** The media type of a page of records of each chain format. */
export const RECORDS_MEDIA_TYPES = Object.freeze({
  binary: BINARY_RECORDS_MEDIA_TYPE,
  json: JSON_LINES_RECORDS_MEDIA_TYPE,
} as const);

/**
 * Half of this process's soft open-file limit (the other half stays for the
 * chain file, backups, peers and workers), at most 1024; 512 where the limit
 * cannot be read.
 */
function defaultMaxConnections(): number {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
    if (Number.isSafeInteger(soft) && soft > 0)
      return Math.max(16, Math.min(1024, Math.floor(soft / 2)));
  } catch {
    // Not Linux: no /proc.
  }
  return 512;
}
