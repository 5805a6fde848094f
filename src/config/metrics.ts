import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

/** The node's Prometheus metrics, on a registry of its own (several nodes may share a process). */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly chainLength = this.gauge(
    "blockchain_chain_length",
    "Number of blocks in the chain, genesis included",
  );
  readonly pending = this.gauge("blockchain_pending_messages", "Number of pending messages");
  readonly hashrate = this.gauge(
    "blockchain_hashrate",
    "Hashes per second over the last proof search",
  );
  readonly neighbours = this.gauge("blockchain_neighbours", "Number of neighbours");
  readonly mining = this.gauge("blockchain_mining", "1 while a proof search runs, else 0");
  readonly hashes = this.counter("blockchain_hashes_total", "Proof-of-work hashes computed");
  readonly blocksMined = this.counter(
    "blockchain_blocks_mined_total",
    "Blocks mined by this node that joined its chain",
  );
  readonly reorgs = this.counter("blockchain_reorgs_total", "Switches to another branch");
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
  readonly blocksFetched = this.counter(
    "blockchain_blocks_fetched_total",
    "Blocks fetched from peers by chain sync",
  );

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }
}
