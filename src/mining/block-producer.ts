import type { Logger } from "pino";
import type { ChainState } from "../chain/chain-state.js";
import { DEFAULTS } from "../config/config.js";
import type { NodeMetrics } from "../config/metrics.js";
import type { Block } from "../core/block.js";
import type { Data } from "../core/data.js";
import {
  ORIGINAL_PROOF_RULE,
  type ProofRule,
  type ProofSearchInput,
  type UnprovenBlock,
} from "../core/pow.js";
import type { PendingPool } from "../pool/pending-pool.js";

/** A proof a search found, and what it cost. */
interface ProofFound {
  proof: number;
  hashes: number;
  elapsedMs: number;
}

/** The proof search the producer needs (the worker pool in the node). */
export interface ProofSearcher {
  search(
    input: ProofSearchInput,
    difficulty: number,
    signal?: AbortSignal,
  ): Promise<ProofFound | null>;
  readonly searching: boolean;
  readonly hashrate: number;
}

/**
 * The mining loop: while messages are pending, picks one at random, searches
 * the proof off the event loop, and appends the block. The search is abandoned
 * as soon as the tip changes in a way that changes its input; with nothing
 * pending it sleeps until a message arrives.
 */
export class BlockProducer {
  private running = false;
  private loop: Promise<void> | null = null;
  private search: AbortController | null = null;
  private wake: (() => void) | null = null;
  /** Ends a back-off pause early (only stop() does: new messages must not cut it short). */
  private endPause: (() => void) | null = null;
  /** The block being searched for and its search input, while a search runs. */
  private current: { unproven: UnprovenBlock; input: ProofSearchInput } | null = null;
  private readonly onTipChange = () => {
    // A sibling whose search input is the same (a tie that went the other way under
    // the original rule: every miner finds the same proofs) keeps the work done so far.
    if (this.current && this.onTip(this.current.unproven, this.current.input)) return;
    this.search?.abort();
  };
  private readonly onPending = () => this.wake?.();

  constructor(
    private readonly deps: {
      chain: ChainState;
      pending: PendingPool;
      searcher: ProofSearcher;
      logger: Logger;
      metrics: NodeMetrics | null;
      /** The proof rule blocks are mined under (default: the original's). */
      rule?: ProofRule;
      /** A search of a rule that accepts any proof restarts with a fresh timestamp after this. */
      restampAfterMs?: number;
    },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.chain.on("blocks", this.onTipChange);
    this.deps.pending.on("added", this.onPending);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.deps.chain.off("blocks", this.onTipChange);
    this.deps.pending.off("added", this.onPending);
    this.search?.abort();
    this.wake?.();
    this.endPause?.();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const data = this.deps.pending.pickRandom();
      if (!data) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      try {
        await this.mineOne(data);
        failures = 0;
      } catch (err) {
        failures++;
        // Back off, so that a lasting fault (a worker that cannot start) does not spin.
        const pauseMs = Math.min(DEFAULTS.maxMiningBackoffMs, 100 * 2 ** Math.min(failures, 10));
        this.deps.logger.error({ err, failures, pauseMs }, "mining failed; retrying after a pause");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pauseMs);
          this.endPause = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.endPause = null;
      }
    }
  }

  private async mineOne(data: Data): Promise<void> {
    const { chain } = this.deps;
    const rule = this.deps.rule ?? ORIGINAL_PROOF_RULE;
    this.search = new AbortController();
    const outcome = await this.searchProof(
      rule,
      chain.tip,
      chain.tipHash,
      data,
      this.search.signal,
    ).finally(() => {
      this.search = null;
      this.current = null;
    });
    if (!outcome || !this.running) return;
    // The message may have been mined elsewhere while we searched, or the tip have
    // moved; a new tip that gives the same search input takes the same proof.
    if (chain.hasData(data.id)) return;
    const onTip = this.onTip(outcome.unproven, outcome.input);
    if (!onTip) return;
    this.append(rule, onTip.parent, onTip.unproven, data, outcome);
  }

  /** The block on the current tip, when its search input is `input`; null when the tip changed it. */
  private onTip(
    unproven: UnprovenBlock,
    input: ProofSearchInput,
  ): { parent: Block; unproven: UnprovenBlock } | null {
    const { chain } = this.deps;
    const rule = this.deps.rule ?? ORIGINAL_PROOF_RULE;
    const parent = chain.tip;
    const moved: UnprovenBlock = {
      ...unproven,
      index: parent.index + 1,
      previous_hash: chain.tipHash,
    };
    const again = rule.searchInput(moved, parent);
    return again.prefix === input.prefix && again.suffix === input.suffix
      ? { parent, unproven: moved }
      : null;
  }

  private append(
    rule: ProofRule,
    parent: Block,
    unproven: UnprovenBlock,
    data: Data,
    outcome: { found: ProofFound; restamps: number },
  ): void {
    const { chain, metrics, logger } = this.deps;
    const { found } = outcome;
    // The block is stamped when it is appended (SPEC); a rule whose input holds
    // the timestamp keeps the one its proof was found for.
    const stamped: Block = { ...unproven, timestamp: stampAfter(parent), proof: found.proof };
    const block = rule.isValid(stamped, parent, chain.difficulty)
      ? stamped
      : { ...unproven, proof: found.proof };
    // Whatever engine searched, a proof is used only once node:crypto agrees (rule.isValid).
    if (!rule.isValid(block, parent, chain.difficulty)) {
      throw new Error(
        `the search returned proof ${found.proof}, which the ${rule.name} rule refuses`,
      );
    }
    if (chain.appendMined(block)) {
      metrics?.blocksMined.inc();
      logger.info(
        {
          index: block.index,
          id: data.id,
          hashes: found.hashes,
          ms: Math.round(found.elapsedMs),
          restamps: outcome.restamps,
        },
        `mined block ${block.index}`,
      );
    }
  }

  /**
   * Searches the proof of a block holding `data` on `parent`. The block's
   * timestamp is fixed for a search; under a rule that accepts any valid
   * proof (whose input then holds the timestamp), a search that runs longer
   * than `restampAfterMs` starts again with a fresh timestamp, so that a
   * block's time stays close to when it was found. Null when `signal` ends
   * it (the tip changed, or stop) or the searcher is closed.
   */
  private async searchProof(
    rule: ProofRule,
    parent: Block,
    parentHash: string,
    data: Data,
    signal: AbortSignal,
  ): Promise<{
    found: ProofFound;
    unproven: UnprovenBlock;
    input: ProofSearchInput;
    restamps: number;
  } | null> {
    const { chain, searcher, metrics } = this.deps;
    const restampAfterMs = rule.smallestProof
      ? null
      : (this.deps.restampAfterMs ?? DEFAULTS.restampAfterMs);
    for (let restamps = 0; ; restamps++) {
      const unproven: UnprovenBlock = {
        index: parent.index + 1,
        timestamp: stampAfter(parent),
        data: { id: data.id, message: data.message },
        previous_hash: parentHash,
      };
      const round = new AbortController();
      const endRound = () => round.abort();
      signal.addEventListener("abort", endRound, { once: true });
      const timer = restampAfterMs === null ? null : setTimeout(endRound, restampAfterMs);
      try {
        const input = rule.searchInput(unproven, parent);
        this.current = { unproven, input };
        const found = await searcher.search(input, chain.difficulty, round.signal);
        // The hashes themselves are counted as the workers report them (the searcher's onHashes).
        metrics?.hashrate.set(searcher.hashrate);
        if (found) return { found, unproven, input, restamps };
        // Ended by the tip, stop() or a closed searcher: give up; ended by the clock: restamp.
        if (signal.aborted || !round.signal.aborted || !this.running) return null;
      } finally {
        if (timer) clearTimeout(timer);
        signal.removeEventListener("abort", endRound);
      }
    }
  }
}

/** A new block's timestamp: now, and always later than its parent's. */
function stampAfter(parent: Block): number {
  return Math.max(Date.now(), parent.timestamp + 1);
}
