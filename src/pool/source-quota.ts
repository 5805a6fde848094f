import { PendingFullError } from "../config/errors.js";

export interface SourceQuotaOptions {
  maxPending: number;
  /** Share of the pending set one relaying source may hold (0..1]. */
  sourceShare: number;
  /** Share of the pending set kept for messages added locally (PUT /add) and reorgs [0..1). */
  localReserve: number;
}

/**
 * Fair room in the pending set: relayed messages are counted per source (the
 * neighbour they came from, or the address that posted them), no source may
 * hold more than its share, and relays together leave a reserve for local
 * `PUT /add`, so that one flood can neither fill the set nor lock out its users.
 */
export class SourceQuota {
  private readonly held = new Map<string, number>();
  private readonly sourceOf = new Map<string, string>();
  private readonly perSource: number;
  private readonly relayed: number;

  constructor(private readonly opts: SourceQuotaOptions) {
    this.perSource = Math.max(1, Math.floor(opts.maxPending * opts.sourceShare));
    this.relayed = Math.max(1, opts.maxPending - Math.ceil(opts.maxPending * opts.localReserve));
  }

  /** Why a message from `source` (null: local) may not join `total` pending ones now, or null. */
  refusal(source: string | null, total: number): PendingFullError | null {
    const { maxPending } = this.opts;
    if (total >= maxPending) return new PendingFullError(maxPending);
    if (source === null) return null;
    if (total >= this.relayed) {
      return new PendingFullError(
        maxPending,
        `the node holds ${total} pending messages; the last ${maxPending - this.relayed} places are kept for messages added here, not relayed ones`,
      );
    }
    if ((this.held.get(source) ?? 0) >= this.perSource) {
      return new PendingFullError(
        maxPending,
        `messages relayed by ${source} fill its share of the pending set (${this.perSource}); try again once some are mined`,
      );
    }
    return null;
  }

  /** A message from `source` is pending (or on its way). */
  take(id: string, source: string | null): void {
    if (source === null || this.sourceOf.has(id)) return;
    this.sourceOf.set(id, source);
    this.held.set(source, (this.held.get(source) ?? 0) + 1);
  }

  /** A message left the pending set (mined, or its add failed). */
  release(id: string): void {
    const source = this.sourceOf.get(id);
    if (source === undefined) return;
    this.sourceOf.delete(id);
    const left = (this.held.get(source) ?? 1) - 1;
    if (left > 0) this.held.set(source, left);
    else this.held.delete(source);
  }
}
