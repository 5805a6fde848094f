import type { Logger } from "pino";
import type { Block } from "../core/block.js";
import { hashBlock } from "../core/hash.js";
import { PROOF_RULE_NAMES, type ProofRuleName, proofRuleNamed } from "../core/proof-rules.js";
import type { PeerTable } from "./peer-table.js";

/** Most peers remembered as already logged. */
const MAX_LOGGED = 1024;

/** What a peer's /status says of its proof rule; a node that does not say follows the original's. */
export function ruleOfStatus(status: { proof_rule?: unknown }): string {
  return typeof status.proof_rule === "string" ? status.proof_rule : "original";
}

/**
 * Keeps peers of another proof rule out of the neighbours: such a peer is a
 * network of its own (SPEC section 2), so it is set aside, not banned, and
 * logged once. It is recognised by its /status, or by announced blocks that
 * fail our rule's proof check but pass another rule's: those are not
 * misbehaviour, so their sender is not punished for them either.
 */
export class PeerRuleCheck {
  private readonly logged = new Set<string>();

  constructor(
    private readonly opts: { rule: ProofRuleName; setAsideMs: number },
    private readonly deps: { peers: PeerTable; logger: Logger },
  ) {}

  get rule(): ProofRuleName {
    return this.opts.rule;
  }

  /** True when the peer's status names our rule; otherwise the peer is set aside. */
  accepts(peer: string, status: { proof_rule?: unknown }): boolean {
    const rule = ruleOfStatus(status);
    if (rule === this.opts.rule) return true;
    this.setAside(peer, rule, "its /status");
    return false;
  }

  /** Whether blocks from this peer are to be refused unseen: it is known to follow another rule. */
  isForeign(peer: string | null): boolean {
    return peer !== null && this.deps.peers.isSetAside(peer);
  }

  /**
   * For announced blocks refused as invalid at `index`: the other rule the
   * failing block follows (its proof fails ours and passes that one), or null.
   * `run` is the announced blocks; the parent is found in the run or `chain`.
   */
  otherRuleOf(
    run: readonly Block[],
    index: number,
    chain: { blockAt(index: number): Block | undefined; difficulty: number },
  ): ProofRuleName | null {
    const block = run.find((b) => b?.index === index);
    const parent = run.find((b) => b?.index === index - 1) ?? chain.blockAt(index - 1);
    if (!block || !parent || block.previous_hash !== hashBlock(parent)) return null;
    const ours = proofRuleNamed(this.opts.rule);
    if (ours.isValid(block, parent, chain.difficulty)) return null;
    for (const name of PROOF_RULE_NAMES) {
      if (name !== this.opts.rule && proofRuleNamed(name).isValid(block, parent, chain.difficulty))
        return name;
    }
    return null;
  }

  /** Sets a peer of another rule aside (no ban); the first time, one log line says why. */
  setAside(peer: string, rule: string, evidence: string): void {
    this.deps.peers.setAside(peer, this.opts.setAsideMs);
    if (this.logged.has(peer)) return;
    // Bounded: peers are only set aside from a status or a verified sender, but still.
    if (this.logged.size >= MAX_LOGGED) this.logged.clear();
    this.logged.add(peer);
    this.deps.logger.warn(
      { peer, peerRule: rule, proofRule: this.opts.rule },
      `peer ${peer} follows the '${rule}' proof rule (by ${evidence}), this node '${this.opts.rule}': not kept as a neighbour`,
    );
  }
}
