import { useExplorer } from "../context.js";
import { formatCount, formatHashrate } from "../lib/format.js";
import { blockIntervals } from "../lib/intervals.js";
import { routeHref } from "../lib/route.js";
import type { Block } from "../lib/wire.js";
import { CopyHash } from "./copy-hash.js";
import { Sparkline } from "./sparkline.js";

/** What each proof rule means, shown as a tooltip (SPEC section 2). */
const PROOF_RULE_TITLES: Record<string, string> = {
  original: "the original's rule: sha256(previous proof + proof) meets the difficulty",
  content: "content-bound: each block's own hash meets the difficulty",
};

/** The node at a glance: length, tip, difficulty, proof rule, hash rate, pending, neighbours, block intervals. */
export function Overview({ recent }: { recent: Block[] | null }) {
  const { status, statusError } = useExplorer();
  if (!status) {
    return (
      <section class="panel overview" aria-labelledby="overview-title">
        <h2 id="overview-title">Overview</h2>
        <p class={statusError ? "error" : "muted"} role="status">
          {statusError ?? "Asking the node…"}
        </p>
      </section>
    );
  }
  return (
    <section class="panel overview" aria-labelledby="overview-title">
      <h2 id="overview-title">Overview</h2>
      <dl class="stats">
        <div class="stat">
          <dt>Length</dt>
          <dd data-stat="length">{formatCount(status.length)}</dd>
        </div>
        <div class="stat">
          <dt>Difficulty</dt>
          <dd data-stat="difficulty">{status.difficulty}</dd>
        </div>
        <div class="stat">
          <dt>Proof rule</dt>
          <dd data-stat="proof-rule" title={PROOF_RULE_TITLES[status.proof_rule]}>
            {status.proof_rule}
          </dd>
        </div>
        <div class="stat">
          <dt>Hash rate</dt>
          <dd data-stat="hashrate">
            {formatHashrate(status.hashrate)}
            <span class={status.mining ? "badge badge-on" : "badge"}>
              {status.mining ? "mining" : "idle"}
            </span>
          </dd>
        </div>
        <div class="stat">
          <dt>
            <a href={routeHref({ name: "pending" })}>Pending</a>
          </dt>
          <dd data-stat="pending">{formatCount(status.pending)}</dd>
        </div>
        <div class="stat">
          <dt>
            <a href={routeHref({ name: "neighbours" })}>Neighbours</a>
          </dt>
          <dd data-stat="neighbours">
            {status.neighbours.length === 0 ? "none" : status.neighbours.join(", ")}
          </dd>
        </div>
        <div class="stat stat-wide">
          <dt>Tip</dt>
          <dd data-stat="tip">
            <CopyHash hash={status.tip} label="tip hash" />
          </dd>
        </div>
      </dl>
      <h3 class="chart-title">Recent block intervals</h3>
      {recent ? (
        <Sparkline intervals={blockIntervals([...recent].reverse())} />
      ) : (
        <p class="muted">Loading blocks…</p>
      )}
    </section>
  );
}
