import type { AdoptResult, ChainState } from "../chain/chain-state.js";
import { BadInputError } from "../config/errors.js";
import type { NodeMetrics } from "../config/metrics.js";
import type { Block } from "../core/block.js";
import { type Data, dataProblem, messageProblem } from "../core/data.js";
import { blockShapeProblem } from "../core/validate.js";
import type { PendingPool } from "../pool/pending-pool.js";
import { offerConsequence } from "./offer-outcome.js";
import type { PeerRuleCheck } from "./peer-rule.js";

/** What became of announced blocks (POST /blocks answers from it): the offer's result without the reorg. */
export type AnnounceResult =
  | { status: "accepted"; length: number }
  | Exclude<AdoptResult, { status: "accepted" }>;

/** Who sent a request: its X-Blockchain-Node address, and whether the connection comes from it. */
export interface Sender {
  address: string | null;
  /** Only a verified sender is punished: a forged header must not get an honest peer banned. */
  verified: boolean;
}

/**
 * What peers push to this node: announced blocks (POST /blocks) and relayed
 * messages (POST /data). Both are checked for shape first; a verified sender
 * of something malformed or invalid is punished, and blocks whose parent we
 * lack start a sync from their sender.
 */
export class Inbound {
  constructor(
    private readonly opts: { maxMessageBytes: number },
    private readonly deps: {
      chain: ChainState;
      pending: PendingPool;
      metrics: NodeMetrics | null;
      rules: PeerRuleCheck;
      punish: (peer: string, reason: string) => void;
      syncFrom: (peer: string) => void;
    },
  ) {}

  /** Offers announced blocks to the chain and acts on the result. */
  receiveBlocks(blocks: unknown[], sender: Sender): AnnounceResult {
    const { chain } = this.deps;
    for (const [i, block] of blocks.entries()) {
      const problem = blockShapeProblem(block, this.opts.maxMessageBytes);
      if (problem) {
        this.punish(sender, `sent a malformed block: ${problem}`);
        const index = typeof (block as Block)?.index === "number" ? (block as Block).index : i;
        return { status: "invalid", length: chain.length, index, reason: problem };
      }
    }
    // A sender known to follow another proof rule: its blocks are never adopted.
    if (sender.verified && this.deps.rules.isForeign(sender.address)) {
      const first = blocks[0] as Block | undefined;
      const reason = `this node follows the '${this.deps.rules.rule}' proof rule, the sender another`;
      return { status: "invalid", length: chain.length, index: first?.index ?? 0, reason };
    }
    const result = chain.offer(blocks as Block[], sender.address);
    if (result.status === "invalid") {
      const other = this.deps.rules.otherRuleOf(blocks as Block[], result.index, chain);
      if (other) {
        // Blocks of another rule: not misbehaviour, so the sender is set aside, never banned.
        if (sender.address && sender.verified)
          this.deps.rules.setAside(sender.address, other, "its announced blocks");
        return result;
      }
    }
    const consequence = offerConsequence(result);
    if (consequence.kind === "punish") this.punish(sender, consequence.reason);
    if (consequence.kind === "sync" && sender.address) this.deps.syncFrom(sender.address);
    if (result.status === "accepted") return { status: "accepted", length: result.length };
    return result;
  }

  /** Adds relayed messages to the pending pool; resolves to how many were new. */
  async receiveData(data: unknown[], sender: Sender): Promise<number> {
    for (const item of data) {
      const problem = dataProblem(item, Number.POSITIVE_INFINITY);
      if (problem) {
        this.punish(sender, `relayed a malformed message: ${problem}`);
        throw new BadInputError(problem);
      }
    }
    // A message over our own limit may be fine on a peer with a higher one: skipped, not punished.
    const fitting = (data as Data[]).filter(
      (d) => messageProblem(d.message, this.opts.maxMessageBytes) === null,
    );
    const { added, refused } = await this.deps.pending.addBatch(fitting, sender.address);
    this.deps.metrics?.messagesAccepted.inc({ source: "peer" }, added);
    if (refused) throw refused;
    return added;
  }

  private punish(sender: Sender, reason: string): void {
    if (sender.address && sender.verified) this.deps.punish(sender.address, reason);
  }
}
