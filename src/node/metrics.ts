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
  readonly hashes = new Counter({
    name: "blockchain_hashes_total",
    help: "Proof-of-work hashes computed",
    registers: [this.registry],
  });
  readonly blocksMined = new Counter({
    name: "blockchain_blocks_mined_total",
    help: "Blocks mined by this node that joined its chain",
    registers: [this.registry],
  });
  readonly reorgs = new Counter({
    name: "blockchain_reorgs_total",
    help: "Switches to another branch",
    registers: [this.registry],
  });
  readonly messagesAccepted = new Counter({
    name: "blockchain_messages_accepted_total",
    help: "Messages accepted into the pending set",
    labelNames: ["source"],
    registers: [this.registry],
  });
  readonly peerRequests = new Counter({
    name: "blockchain_peer_requests_total",
    help: "Requests made to peers, by outcome",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly blocksFetched = new Counter({
    name: "blockchain_blocks_fetched_total",
    help: "Blocks fetched from peers by chain sync",
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }
}
