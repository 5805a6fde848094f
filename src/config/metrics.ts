import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { VERSION } from "./version.js";

/** The node's Prometheus metrics, on a registry of its own (several nodes may share a process). */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly chainLength = this.gauge(
    "blockchain_chain_length",
    "Number of blocks in the chain, genesis included",
  );
  readonly pending = this.gauge("blockchain_pending_messages", "Number of pending messages");
  /** Named with its unit (it was `blockchain_hashrate`; see docs/http-api.md). */
  readonly hashrate = this.gauge(
    "blockchain_hashes_per_second",
    "Hashes per second of the running proof search, else of the last one",
  );
  readonly neighbours = this.gauge("blockchain_neighbours", "Number of neighbours");
  readonly mining = this.gauge("blockchain_mining", "1 while a proof search runs, else 0");
  readonly hashes = this.counter("blockchain_hashes_total", "Proof-of-work hashes computed");
  readonly blocksMined = this.counter(
    "blockchain_blocks_mined_total",
    "Blocks mined by this node that joined its chain",
  );
  readonly reorgs = this.counter("blockchain_reorgs_total", "Switches to another branch");
  readonly deepReorgs = this.counter(
    "blockchain_deep_reorgs_total",
    "Switches to another branch that abandoned at least 6 blocks (possible history rewrite)",
  );
  readonly messagesAccepted = this.counter(
    "blockchain_messages_accepted_total",
    "Messages accepted into the pending set",
    ["source"],
  );
  readonly peerRequests = this.counter(
    "blockchain_peer_requests_total",
    "Requests made to peers, by outcome",
    ["outcome"],
  );
  readonly journalFailing = this.gauge(
    "blockchain_journal_failing",
    "1 while the pending journal cannot be written (adds answer 507 or 503), else 0",
  );
  readonly journalFailures = this.counter(
    "blockchain_journal_failures_total",
    "Failed writes of the pending journal",
  );
  readonly backupFailing = this.gauge(
    "blockchain_backup_failing",
    "1 while the last backup of the chain file failed, else 0",
  );
  readonly backupFailures = this.counter(
    "blockchain_backup_failures_total",
    "Failed backups of the chain file",
  );
  readonly lastBackup = this.gauge(
    "blockchain_last_backup_timestamp_seconds",
    "When the last backup of the chain file succeeded (Unix time)",
  );
  readonly blocksFetched = this.counter(
    "blockchain_blocks_fetched_total",
    "Blocks fetched from peers by chain sync",
  );
  readonly unsavedBytes = this.gauge(
    "blockchain_unsaved_bytes",
    "Bytes of chain records held in memory, not in the chain file yet (synced, mined, or a new branch)",
  );
  readonly syncSaves = this.counter(
    "blockchain_sync_saves_total",
    "Saves of the chain file asked for by chain sync as its unsaved records reached their bound",
  );
  readonly syncSaveWait = this.counter(
    "blockchain_sync_save_wait_seconds_total",
    "Time chain syncs waited for a save to end (their unsaved records at twice their bound: the disk is slower)",
  );
  readonly syncUnsavedHigh = this.gauge(
    "blockchain_sync_unsaved_high_bytes",
    "The most bytes of unsaved chain records held while a chain sync ran, since start",
  );

  /** Every API request but event streams (they last as long as the client stays). */
  readonly httpRequestDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer an HTTP request, by route (its pattern), method and status",
    labelNames: ["route", "method", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly eventStreamClients = this.gauge(
    "blockchain_event_stream_clients",
    "Clients connected to GET /events",
  );
  readonly buildInfo = new Gauge({
    name: "blockchain_build_info",
    help: "Always 1; the labels say which build runs",
    labelNames: ["version", "nodejs_version"],
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.buildInfo.set({ version: VERSION, nodejs_version: process.versions.node }, 1);
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }
}
