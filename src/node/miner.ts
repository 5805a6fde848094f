import { EventEmitter } from "node:events";
import { dirname } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type {
  BlocksAnnounceResult,
  CallerClaim,
  DataLookup,
  NodeApi,
  NodeEvents,
  NodeStatus,
  PeerView,
  SeenBlockView,
  StorageHealth,
} from "../api/node-api.js";
import { ChainState, type JoinedBlocks } from "../chain/chain-state.js";
import { saveChain, unsavedMessages } from "../chain/save-chain.js";
import { type SeenBlock, SeenBlocks } from "../chain/seen-blocks.js";
import { type ChainSerialization, DEFAULTS } from "../config/config.js";
import { BadInputError, NotStartedError } from "../config/errors.js";
import { createNodeLogger, type NodeLogger } from "../config/logger.js";
import { NodeMetrics } from "../config/metrics.js";
import { JobScheduler } from "../config/scheduler.js";
import { VERSION } from "../config/version.js";
import type { Block, Proof } from "../core/block.js";
import { type Data, messageProblem, newDataId } from "../core/data.js";
import { genesisBlock } from "../core/genesis.js";
import { hashBlock } from "../core/hash.js";
import { isProofOfWorkValid, type ProofRule, proofOfWork } from "../core/pow.js";
import { proofRuleNamed } from "../core/proof-rules.js";
import { blockShapeProblem, isGenesis, validateChain } from "../core/validate.js";
import { BlockProducer } from "../mining/block-producer.js";
import { loadNativeScanner } from "../mining/native-scanner.js";
import { ProofSearchPool } from "../mining/proof-search-pool.js";
import { normalizeAddress } from "../net/address.js";
import { parseNeighbour } from "../net/neighbour-forms.js";
import type { Network } from "../net/network.js";
import { newNodeId } from "../net/node-id.js";
import { pendingPage } from "../pool/pending-page.js";
import { journalPathOf, PendingPool } from "../pool/pending-pool.js";
import { TRUSTED_TAIL_CHECKED } from "../storage/chain-load.js";
import { ChainStore, type OpenedChainStore } from "../storage/chain-store.js";
import { prepareChainFolder } from "../storage/file/chain-folder.js";
import {
  type MinerOptions,
  type ResolvedMinerOptions,
  resolveMinerOptions,
} from "./miner-options.js";
import {
  loadPrivateNetwork,
  type PrivateNetwork,
  removeLocalCookie,
  writeLocalCookie,
} from "./private-network.js";

export { MinerOptionError, type MinerOptions } from "./miner-options.js";

/** The running parts of a started node, built by start() in dependency order. */
interface RunningParts {
  log: NodeLogger;
  store: ChainStore;
  pool: PendingPool;
  searcher: ProofSearchPool;
  producer: BlockProducer | null;
  network: Network;
  scheduler: JobScheduler;
  server: FastifyInstance;
}

/**
 * The server's and the network's modules (fastify, ajv, swagger, the peer
 * client): about a third of a start's CPU. start() loads them while the chain
 * file is read and hashed, work that waits on the disk and the thread pool.
 * A failed import is thrown where start() awaits the modules.
 */
function loadServingModules(): Promise<{
  buildServer: typeof import("../api/server.js").buildServer;
  listenServer: typeof import("../api/server.js").listenServer;
  headerBytesFor: typeof import("../api/server.js").headerBytesFor;
  Network: typeof import("../net/network.js").Network;
}> {
  const loading = Promise.all([import("../api/server.js"), import("../net/network.js")]).then(
    ([server, net]) => ({
      buildServer: server.buildServer,
      listenServer: server.listenServer,
      headerBytesFor: server.headerBytesFor,
      Network: net.Network,
    }),
  );
  // A start that fails before it awaits this must not leave a rejection unhandled.
  loading.catch(() => undefined);
  return loading;
}

/** How soon a failed journal or backup is tried again (a full disk heals by itself). */
const STORAGE_RETRY_MS = 1_000;

/** How the start log names the index snapshot's part in a trusted start. */
function snapshotNote(snapshot: OpenedChainStore["indexSnapshot"]): string {
  if (!snapshot.used) return "";
  const after =
    snapshot.blocksAfter > 0
      ? `; ${snapshot.blocksAfter} block(s) after it read from the file`
      : "";
  return ` (checked chunk by chunk against the index the last stop kept${after})`;
}

/**
 * A miner node (the original's `Miner`): it keeps the chain, mines pending
 * messages, talks to its neighbours and serves the HTTP API. It is composed in
 * start() in dependency order and taken apart in stop() in reverse.
 */
export class Miner implements NodeApi {
  readonly events = new EventEmitter<NodeEvents>();
  readonly metrics = new NodeMetrics({ processMetrics: true });
  /** This node's random id, in /status and in the X-Blockchain-Node-Id header of its requests. */
  readonly nodeId = newNodeId();
  private readonly opts: ResolvedMinerOptions;
  private readonly rule: ProofRule;
  private state: ChainState;
  private parts: RunningParts | null = null;
  private boundPort: number;
  private stopping: Promise<void> | null = null;
  /** The last backup's failure, null once one succeeds. */
  private backupError: Error | null = null;
  private lastBackupAt: number | null = null;
  private backupRetry: NodeJS.Timeout | null = null;
  private journalFailuresCounted = 0;
  /** The valid blocks seen lately, adopted or not (GET /blocks/seen). */
  private readonly seen = new SeenBlocks(DEFAULTS.seenBlocksKept);
  /** The private network's secrets, loaded at start (empty: an open node). */
  private access: PrivateNetwork = { privateReads: false };

  constructor(options: MinerOptions) {
    // Neighbours in the original's forms too; the advertised address exactly as peers will use it.
    this.opts = resolveMinerOptions(options, parseNeighbour, normalizeAddress);
    this.boundPort = this.opts.port;
    this.rule = proofRuleNamed(this.opts.proofRule);
    this.state = new ChainState([genesisBlock()], {
      difficulty: this.opts.difficulty,
      maxMessageBytes: this.opts.maxMessageBytes,
      rule: this.rule,
    });
  }

  /** SHA-256 of a block's canonical encoding; a TypeError for anything that is not a block. */
  static hash(block: Block): string {
    if (!isGenesis(block) && blockShapeProblem(block) !== null) {
      throw new TypeError(`not a block: ${blockShapeProblem(block)}`);
    }
    return hashBlock(block);
  }

  /** The original's proof rule: sha256(`${lastProof}${proof}`) ends in `difficulty` zeros. */
  static isProofOfWorkValid(lastProof: Proof, proof: number, difficulty: number): boolean {
    return isProofOfWorkValid(lastProof, proof, difficulty);
  }

  /** The smallest valid proof after `lastProof` (synchronous; the node itself mines in worker threads). */
  proofOfWork(lastProof: Proof, difficulty: number = this.opts.difficulty): number {
    return proofOfWork(lastProof, difficulty);
  }

  /** Whether a chain (default: this node's) is valid at this node's difficulty and under its proof rule. */
  isChainValid(chain: readonly Block[] = this.state.blocks): boolean {
    return validateChain(chain, {
      difficulty: this.opts.difficulty,
      maxMessageBytes: this.opts.maxMessageBytes,
      rule: this.rule,
    }).ok;
  }

  /** Whether this message is already in the chain (processed). */
  isDataProcessed(data: Data): boolean {
    return this.state.hasData(data.id);
  }

  /** Adds a message to the pending set (the original's `_new_message`); resolves once it is durable. */
  async newMessage(message: string): Promise<Data> {
    return this.addMessage(message);
  }

  get chain(): readonly Block[] {
    return this.state.blocks;
  }

  get difficulty(): number {
    return this.opts.difficulty;
  }

  /** The proof rule this node follows: "original" or "content" (SPEC section 2). */
  get proofRule(): "original" | "content" {
    return this.opts.proofRule;
  }

  /** The pending messages (the original's `unprocessed_data`). */
  get pending(): Data[] {
    return this.parts?.pool.list() ?? [];
  }

  get neighbours(): string[] {
    return this.parts?.network.neighbours ?? [...this.opts.neighbours];
  }

  /** The port the API listens on (the real one once started, when 0 was asked). */
  get port(): number {
    return this.boundPort;
  }

  get address(): string {
    return this.opts.advertise ?? `127.0.0.1:${this.boundPort}`;
  }

  get url(): string {
    const host = this.opts.host.includes(":") ? `[${this.opts.host}]` : this.opts.host;
    return `${this.access.serve ? "https" : "http"}://${host}:${this.boundPort}`;
  }

  get maxMessageBytes(): number {
    return this.opts.maxMessageBytes;
  }

  /** Loads the chain and the pending messages, starts the server, the jobs and the miner. */
  async start(): Promise<void> {
    if (this.parts) throw new Error("the miner is already started");
    const o = this.opts;
    this.journalFailuresCounted = 0;
    // Before anything is opened: a secret file others may read stops the start, named.
    this.access = loadPrivateNetwork(o.privateNetwork);
    const access = this.access;
    // The folder first: the log file lives in it, and a bad folder must be named as such.
    await prepareChainFolder(o.pathToChain);
    const log = await createNodeLogger({
      logDir: dirname(o.pathToChain),
      level: o.logLevel,
      console: o.consoleLog,
      consoleFormat: o.logFormat,
    });
    const logger = log.logger;
    // What start() opened so far, closed in reverse if a later step fails.
    const opened: (() => Promise<unknown>)[] = [() => log.close()];
    const serving = loadServingModules();
    // The HTTP API is built while the chain file is read (its routes use the node only when a
    // request comes): on a long chain this thread mostly waits for the file's digest meanwhile.
    const building = serving.then(({ buildServer, headerBytesFor }) =>
      buildServer(this, {
        logger: logger.child({ module: "api" }),
        metrics: this.metrics,
        maxHeaderBytes: headerBytesFor(o.maxMessageBytes),
        maxConnections: o.maxConnections,
        corsOrigins: o.corsOrigins,
        devnetToken: o.devnetToken,
        access: {
          ...(access.networkKey ? { networkKey: access.networkKey } : {}),
          ...(access.writers ? { writers: access.writers } : {}),
          privateReads: access.privateReads,
          logger: logger.child({ module: "access" }),
        },
        ...(access.serve ? { tls: access.serve } : {}),
      }),
    );
    // A start that fails before it awaits the server must not leave a rejection unhandled.
    building.catch(() => undefined);
    opened.push(async () => (await building).close());
    try {
      const { store, loaded, trusted, indexSnapshot } = await ChainStore.open(o.pathToChain, {
        format: o.jsonFormat ? "json" : "binary",
        difficulty: o.difficulty,
        rule: this.rule,
        forceNewChain: o.forceNewChain,
        verifyAll: o.verifyChain,
        acceptModifiedChain: o.acceptModifiedChain,
        maxMessageBytes: o.maxMessageBytes,
        indexSnapshotMinBytes: o.indexSnapshotBytes,
        logger,
      });
      opened.push(() => store.close());
      logger.info(
        {
          blocks: loaded.records.length,
          trusted,
          index_snapshot: indexSnapshot.used,
          ...(indexSnapshot.used ? { blocks_after_snapshot: indexSnapshot.blocksAfter } : {}),
        },
        trusted
          ? `loaded ${loaded.records.length} blocks; the .hash vouched for the file${snapshotNote(indexSnapshot)}, its last ${TRUSTED_TAIL_CHECKED} blocks were checked in full`
          : `loaded ${loaded.records.length} blocks, every one validated`,
      );
      this.state = new ChainState(loaded, {
        difficulty: o.difficulty,
        maxMessageBytes: o.maxMessageBytes,
        rule: this.rule,
      });
      const state = this.state;
      const pool = await PendingPool.open(
        journalPathOf(o.pathToChain),
        { maxPending: o.maxPending, logger, retryMs: STORAGE_RETRY_MS },
        (id) => state.hasData(id),
      );
      opened.push(() => pool.close());
      const searcher = new ProofSearchPool({
        workers: o.workers,
        onHashes: (hashes) => this.metrics.hashes.inc(hashes),
      });
      logger.info(
        { miner_engine: searcher.engine, workers: o.workers },
        `proof search engine: ${searcher.engine} (${searcher.engineReason})`,
      );
      opened.push(() => searcher.close());
      const scheduler = new JobScheduler({ logger: logger.child({ module: "jobs" }) });
      const producer = o.mine
        ? new BlockProducer({
            chain: this.state,
            pending: pool,
            searcher,
            logger: logger.child({ module: "miner" }),
            metrics: this.metrics,
            rule: this.rule,
          })
        : null;
      const { listenServer, Network } = await serving;
      // Listen first: with port 0 the advertised address is known only then.
      const server = await listenServer(await building, o.port, o.host);
      this.boundPort = (server.server.address() as { port: number }).port;
      if (access.cookieToken) {
        await writeLocalCookie(o.pathToChain, `127.0.0.1:${this.boundPort}`, access.cookieToken);
        opened.push(async () => removeLocalCookie(o.pathToChain));
      }
      if (access.privateReads && !access.networkKey) {
        logger.warn(
          "--private-reads without --network-key: peers cannot read this node (they prove the key, not a token), so it neither syncs them nor is synced",
        );
      }
      if (access.networkKey || access.writers || access.serve || access.peers) {
        logger.info(
          {
            networkKey: access.networkKey !== undefined,
            writeTokens: access.writers !== undefined,
            privateReads: access.privateReads,
            tls: access.serve !== undefined,
            peersOverTls: access.peers !== undefined,
          },
          `private network: ${[
            access.networkKey ? "members only (network key)" : "open membership",
            access.writers
              ? "writers only (tokens; local cookie beside the chain)"
              : "anyone writes",
            access.privateReads ? "private reads" : "open reads",
            access.serve ? "HTTPS" : "HTTP",
          ].join(", ")}`,
        );
      }
      const network = new Network(
        {
          self: this.address,
          nodeId: this.nodeId,
          neighbours: o.neighbours,
          maxNeighbours: o.maxNeighbours,
          gossipIntervalS: o.gossipIntervalS,
          chainSyncIntervalS: o.chainSyncIntervalS,
          dataSyncIntervalS: o.dataSyncIntervalS,
          requestTimeoutMs: DEFAULTS.peerRequestTimeoutMs,
          maxResponseBytes: DEFAULTS.peerMaxResponseBytes,
          maxPeerFailures: DEFAULTS.maxPeerFailures,
          banDurationS: DEFAULTS.banDurationS,
          pageLimit: DEFAULTS.recordPageLimit,
          maxMessageBytes: o.maxMessageBytes,
          syncSaveBytes: o.syncSaveBytes,
          proofRule: o.proofRule,
          ...(access.networkKey ? { networkKey: access.networkKey } : {}),
          ...(access.peers ? { tls: access.peers } : {}),
        },
        {
          chain: this.state,
          pending: pool,
          scheduler,
          logger: logger.child({ module: "net" }),
          metrics: this.metrics,
          // The backup job, run now (or the run under way): a long sync saves as it goes.
          save: () => scheduler.runNow("backup"),
        },
      );
      this.wireEvents(pool, network, logger);
      this.parts = { log, store, pool, searcher, producer, network, scheduler, server };
      scheduler.every("backup", o.backupIntervalS, () => this.trackedBackup());
      network.start();
      producer?.start();
      this.updateGauges();
      logger.info(
        { length: this.state.length, pending: pool.size, url: this.url, proofRule: o.proofRule },
        `serving on ${this.url}`,
      );
    } catch (err) {
      this.parts = null;
      for (const close of opened.reverse()) await close().catch(() => undefined);
      throw err;
    }
  }

  /** Stops mining and the jobs, closes the server, saves the chain and the pending messages. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    // The network first: it aborts requests in flight, so that a running sync job ends now
    // instead of the scheduler waiting for it to finish.
    await parts.network.stop();
    await parts.scheduler.stop();
    await parts.producer?.stop();
    await parts.server.close();
    await parts.searcher.close();
    if (this.backupRetry) clearTimeout(this.backupRetry);
    // A backup that fails (a full disk) must not stop the rest from closing; the journal
    // still holds every acknowledged message, so nothing is lost, but the exit says so.
    const saved = await this.backup().then(
      () => null,
      (err: Error) => err,
    );
    await parts.pool.close();
    if (!saved) await this.keepIndexSnapshot(parts.store, parts.log.logger);
    await parts.store.close();
    if (this.access.cookieToken) removeLocalCookie(this.opts.pathToChain);
    if (saved) parts.log.logger.error({ err: saved }, "stopped; the chain could not be saved");
    else parts.log.logger.info("stopped; chain and pending messages saved");
    await parts.log.close();
    this.parts = null;
    if (saved) throw new Error(`the chain could not be saved: ${saved.message}`);
  }

  /**
   * Leaves the chain file's index on disk for the next start, when the file
   * holds exactly the chain in memory (all saved, nothing changed since): a
   * failure only costs the next start its speed.
   */
  private async keepIndexSnapshot(store: ChainStore, logger: Logger): Promise<void> {
    const state = this.state;
    const count = store.persistedLength;
    if (state.length !== count || state.savedLength !== count || state.dirtyFrom < count) return;
    try {
      const why = await store.writeIndexSnapshot(state.idBytes(count));
      if (why !== null) logger.debug(`no index snapshot kept: ${why}`);
    } catch (err) {
      logger.warn({ err }, "the chain file's index snapshot could not be written");
    }
  }

  /**
   * The backup job: its outcome shows in /status and /metrics, and a failed
   * backup (a full disk) is tried again soon rather than a whole interval later.
   */
  private async trackedBackup(): Promise<void> {
    if (this.backupRetry) clearTimeout(this.backupRetry);
    this.backupRetry = null;
    try {
      await this.backup();
      this.backupError = null;
      this.lastBackupAt = Date.now();
      this.metrics.lastBackup.set(this.lastBackupAt / 1000);
      this.metrics.unsavedBytes.set(this.state.unsavedBytes);
    } catch (err) {
      this.backupError = err as Error;
      this.metrics.backupFailures.inc();
      const retryMs = Math.min(STORAGE_RETRY_MS, this.opts.backupIntervalS * 1000);
      this.backupRetry = setTimeout(() => {
        this.backupRetry = null;
        void this.parts?.scheduler.runNow("backup");
      }, retryMs);
      this.backupRetry.unref();
      throw err;
    } finally {
      this.metrics.backupFailing.set(this.backupError ? 1 : 0);
    }
  }

  /** Whether the journal and the backups are written, for /status. */
  private storageHealth(): StorageHealth {
    const journal = this.parts?.pool.journalHealth;
    const failure = journal?.lastError ?? this.backupError;
    return {
      journal: journal?.lastError ? "failing" : "ok",
      backup: this.backupError ? "failing" : "ok",
      last_backup: this.lastBackupAt,
      error: failure ? failure.message : null,
    };
  }

  /** Saves what changed in the chain, then trims the pending journal (the pool's checkpoint). */
  private async backup(): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    // While the journal fails, the pool first rewrites it whole (its recovery) with the
    // messages of blocks not on disk: the save may cut the chain file back past them.
    await parts.pool.checkpoint(
      () => saveChain(this.state, parts.store),
      () => unsavedMessages(this.state, parts.store.persistedLength),
    );
  }

  private wireEvents(pool: PendingPool, network: Network, logger: Logger): void {
    this.state.on("seen", ({ blocks, hashes, from }) => {
      for (const [i, block] of blocks.entries()) {
        const record = this.seen.note(block, hashes[i] as string, from);
        // Told once the chain has taken or refused them: on_main is what it holds now.
        if (record) this.events.emit("seen", this.seenView(record));
      }
    });
    this.state.on("blocks", (joined) => {
      // Only drop from memory: the journal keeps them until the block is on disk.
      this.forgetJoined(pool, joined);
      this.events.emit("blocks", joined);
      if (this.events.listenerCount("block") > 0) {
        for (const block of joined.blocks()) this.events.emit("block", block);
      }
      this.updateGauges();
    });
    this.state.on("reorg", (reorg) => {
      this.metrics.reorgs.inc();
      const returned = reorg.giveBack;
      const depth = reorg.abandoned.length;
      const deep = depth >= DEFAULTS.deepReorgBlocks;
      if (deep) this.metrics.deepReorgs.inc();
      // Two miners finding a block at once is ordinary (info); losing more than one block is not.
      const level = depth <= 1 ? "info" : "warn";
      logger[level](
        {
          fork_index: reorg.fork_index,
          abandoned: depth,
          old_tip: reorg.old_tip,
          new_tip: reorg.new_tip,
          returned: returned.length,
          replaced: reorg.replaced.length,
        },
        deep
          ? `deep reorg: switched to another branch, ${depth} blocks abandoned`
          : "switched to another branch",
      );
      if (reorg.replaced.length > 0) {
        logger.warn(
          { fork_index: reorg.fork_index, replaced: reorg.replaced },
          "the new branch holds other texts under ids of confirmed messages; their old texts are pending again under new ids",
        );
      }
      const { abandoned: _abandoned, giveBack: _giveBack, ...event } = reorg;
      this.events.emit("reorg", event);
      pool
        .giveBack(returned)
        .catch((err) => logger.error({ err }, "could not journal returned messages"));
    });
    pool.on("added", (data) => {
      this.events.emit("data", data);
      this.updateGauges();
    });
    network.on("neighbours", (list: string[]) => {
      this.events.emit("neighbours", list);
      this.metrics.neighbours.set(list.length);
    });
  }

  /**
   * Drops the messages of blocks that joined the chain from the pool: per
   * pending message or per block, whichever are fewer (a sync of many blocks
   * into a node with few pending messages costs little).
   */
  private forgetJoined(pool: PendingPool, joined: JoinedBlocks): void {
    if (pool.size === 0) return;
    if (pool.size < joined.count) {
      for (const { id } of pool.list()) {
        const at = this.state.indexOfData(id);
        if (at !== undefined && at >= joined.from) pool.forget(id);
      }
      return;
    }
    for (let index = joined.from; index < joined.from + joined.count; index++) {
      pool.forget(this.state.dataIdAt(index) as string);
    }
  }

  private updateGauges(): void {
    this.metrics.chainLength.set(this.state.length);
    this.metrics.unsavedBytes.set(this.state.unsavedBytes);
    this.metrics.pending.set(this.parts?.pool.size ?? 0);
  }

  private requireParts(): RunningParts {
    if (!this.parts) throw new NotStartedError();
    return this.parts;
  }

  // The NodeApi, used by the HTTP server.

  status(): NodeStatus {
    const parts = this.parts;
    return {
      length: this.state.length,
      tip: this.state.tipHash,
      difficulty: this.opts.difficulty,
      proof_rule: this.opts.proofRule,
      node_id: this.nodeId,
      neighbours: this.neighbours,
      pending: parts?.pool.size ?? 0,
      mining: parts?.searcher.searching ?? false,
      hashrate: parts?.searcher.hashrate ?? 0,
      miner_engine: parts?.searcher.engine ?? loadNativeScanner().engine,
      version: VERSION,
      address: this.address,
      storage: this.storageHealth(),
    };
  }

  chainLength(): number {
    return this.state.length;
  }

  blocks(from: number, limit: number): Block[] {
    return this.state.slice(from, limit);
  }

  chainFormat(): ChainSerialization {
    return this.state.format;
  }

  blockRecords(from: number, limit: number, maxBytes: number, format: ChainSerialization): Buffer {
    return this.state.recordsIn(from, limit, maxBytes, format);
  }

  neighbourList(): string[] {
    return this.neighbours;
  }

  seenBlocks(afterMs: number, limit: number): SeenBlockView[] {
    return this.seen.after(afterMs, limit).map((record) => this.seenView(record));
  }

  peers(): PeerView[] {
    return this.parts?.network.peerStates() ?? [];
  }

  cutOff(addresses: string[]): void {
    this.requireParts().network.cutOff(addresses);
  }

  isCutOff(address: string | null): boolean {
    return this.parts?.network.isCutOff(address) ?? false;
  }

  private seenView(record: SeenBlock): SeenBlockView {
    return { ...record, on_main: this.state.hashAt(record.index) === record.hash };
  }

  pendingMessages(): Data[] {
    return this.pending;
  }

  pendingMessagesPage(after: string, limit: number): Data[] {
    return pendingPage(this.parts?.pool.list() ?? [], after, limit, DEFAULTS.dataPageBytes);
  }

  lookupData(id: string): DataLookup | null {
    const index = this.state.indexOfData(id);
    if (index !== undefined) {
      const block = this.state.blockAt(index) as Block;
      return {
        ...block.data,
        status: "confirmed",
        index,
        confirmations: this.state.length - index,
      };
    }
    const data = this.parts?.pool.get(id);
    return data ? { ...data, status: "pending" } : null;
  }

  async addMessage(message: string): Promise<Data> {
    const problem = messageProblem(message, this.opts.maxMessageBytes);
    if (problem) {
      // A message that only the size limit refuses is too large (413), not malformed (400).
      const tooLarge = messageProblem(message, Number.POSITIVE_INFINITY) === null;
      throw new BadInputError(problem, tooLarge ? "MESSAGE_TOO_LARGE" : "BAD_INPUT");
    }
    const data = { id: newDataId(), message };
    await this.requireParts().pool.add(data, null);
    this.metrics.messagesAccepted.inc({ source: "local" });
    return data;
  }

  receiveBlocks(blocks: unknown[], caller: CallerClaim): BlocksAnnounceResult {
    return this.requireParts().network.receiveBlocks(blocks, caller);
  }

  async receiveData(data: unknown[], caller: CallerClaim): Promise<number> {
    return this.requireParts().network.receiveData(data, caller);
  }

  noteCaller(caller: CallerClaim): void {
    this.parts?.network.noteCaller(caller);
  }

  async metricsText(): Promise<{ contentType: string; body: string }> {
    const journal = this.parts?.pool.journalHealth;
    if (journal) {
      this.metrics.journalFailing.set(journal.lastError ? 1 : 0);
      this.metrics.journalFailures.inc(
        Math.max(0, journal.failureCount - this.journalFailuresCounted),
      );
      this.journalFailuresCounted = journal.failureCount;
    }
    this.metrics.mining.set(this.parts?.searcher.searching ? 1 : 0);
    this.metrics.hashrate.set(this.parts?.searcher.hashrate ?? 0);
    this.updateGauges();
    return {
      contentType: this.metrics.registry.contentType,
      body: await this.metrics.registry.metrics(),
    };
  }
}
