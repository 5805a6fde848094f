import type { AdoptResult, ChainState } from "../chain/chain-state.js";
import { BadInputError } from "../config/errors.js";
import type { NodeMetrics } from "../config/metrics.js";
import type { Block } from "../core/block.js";
import { type Data, dataProblem, messageProblem } from "../core/data.js";
import { blockShapeProblem } from "../core/validate.js";
import type { PendingPool } from "../pool/pending-pool.js";
import { tryNormalizeAddress } from "./address.js";
import type { Caller } from "./caller-check.js";
import { offerConsequence } from "./offer-outcome.js";
import type { PeerRuleCheck } from "./peer-rule.js";

export type { Caller } from "./caller-check.js";

/** What became of announced blocks (POST /blocks answers from it): the offer's result without the reorg. */
export type AnnounceResult =
  | { status: "accepted"; length: number }
  | Exclude<AdoptResult, { status: "accepted" }>;

/**
 * What peers push to this node: announced blocks (POST /blocks) and relayed
 * messages (POST /data), checked for shape first. A request's headers are a
 * claim, so nothing here bans or syncs on them alone: the claimed sender must
 * be a neighbour (its address answered our own /status), a bad announce is
 * punished only once that neighbour serves the same block to our own request,
 * and a sync runs against the neighbour's address, never the caller's.
 */
export class Inbound {
  constructor(
    private readonly opts: { maxMessageBytes: number },
    private readonly deps: {
      chain: ChainState;
      pending: PendingPool;
      metrics: NodeMetrics | null;
      rules: PeerRuleCheck;
      /** The neighbour a claimed address names, or null when it names none. */
      neighbourOf: (address: string | null) => string | null;
      /** Asks `peer` for block `index`; punishes it if it serves the very block announced. */
      confirmBad: (peer: string, index: number, block: unknown, reason: string) => void;
      syncFrom: (peer: string) => void;
      /** Logs a refusal that is no proof of misbehaviour. */
      note: (peer: string | null, reason: string) => void;
    },
  ) {}

  /** Offers announced blocks to the chain and acts on the result. */
  receiveBlocks(blocks: unknown[], caller: Caller): AnnounceResult {
    const { chain } = this.deps;
    const peer = this.deps.neighbourOf(caller.address);
    for (const [i, block] of blocks.entries()) {
      const problem = blockShapeProblem(block, this.opts.maxMessageBytes);
      if (problem) {
        const index = typeof (block as Block)?.index === "number" ? (block as Block).index : i;
        if (peer) this.deps.confirmBad(peer, index, block, `sent a malformed block: ${problem}`);
        return { status: "invalid", length: chain.length, index, reason: problem };
      }
    }
    // An address known to follow another proof rule: its blocks are refused unseen (no ban).
    const claimed = tryNormalizeAddress(caller.address);
    if (claimed && this.deps.rules.isForeign(claimed)) {
      const first = blocks[0] as Block | undefined;
      const reason = `this node follows the '${this.deps.rules.rule}' proof rule, the sender another`;
      return { status: "invalid", length: chain.length, index: first?.index ?? 0, reason };
    }
    // `from` of the `seen` record: the neighbour, else what the caller claims (a watcher shows it), else its IP.
    const sender = peer ?? claimed ?? caller.ip;
    const result = chain.offer(blocks as Block[], peer, Date.now(), sender);
    if (result.status === "invalid") {
      const other = this.deps.rules.otherRuleOf(blocks as Block[], result.index, chain);
      if (other) {
        // Blocks of another rule: not misbehaviour, so the sender is set aside, never banned.
        if (peer) this.deps.rules.setAside(peer, other, "its announced blocks");
        return result;
      }
    }
    const consequence = offerConsequence(result);
    if (consequence.kind === "punish" && peer && result.status === "invalid") {
      const bad = (blocks as Block[]).find((b) => b.index === result.index);
      this.deps.confirmBad(peer, result.index, bad, consequence.reason);
    }
    if (consequence.kind === "refuse") this.deps.note(peer, consequence.reason);
    if (consequence.kind === "sync" && peer) this.deps.syncFrom(peer);
    if (result.status === "accepted") return { status: "accepted", length: result.length };
    return result;
  }

  /** Adds relayed messages to the pending pool; resolves to how many were new. */
  async receiveData(data: unknown[], caller: Caller): Promise<number> {
    for (const item of data) {
      const problem = dataProblem(item, Number.POSITIVE_INFINITY);
      if (problem) throw new BadInputError(problem);
    }
    // A message over our own limit may be fine on a peer with a higher one: skipped, not punished.
    const fitting = (data as Data[]).filter(
      (d) => messageProblem(d.message, this.opts.maxMessageBytes) === null,
    );
    const peer = this.deps.neighbourOf(caller.address);
    // The share is counted per neighbour, or per posting address for anyone else.
    const source = peer ?? `ip:${caller.ip}`;
    const { added, refused } = await this.deps.pending.addBatch(fitting, peer, source);
    this.deps.metrics?.messagesAccepted.inc({ source: "peer" }, added);
    if (refused) throw refused;
    return added;
  }
}
