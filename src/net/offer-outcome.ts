import type { AdoptResult } from "../chain/chain-state.js";

/** What a peer's blocks, offered to the chain, call for. */
export type OfferConsequence =
  /** Invalid blocks: the peer is banned. */
  | { kind: "punish"; reason: string }
  /** Refused, but nothing the peer is to blame for (a timestamp past our clock only): stop, no ban. */
  | { kind: "refuse"; reason: string }
  /** Their parent is not in our chain: our chains differ further back, so sync from the peer. */
  | { kind: "sync" }
  /** Adopted, or not better than ours: nothing to do. */
  | { kind: "none" };

/** The one mapping from an offer's result to what the network does about the peer. */
export function offerConsequence(result: AdoptResult): OfferConsequence {
  switch (result.status) {
    case "invalid":
      if (result.future)
        return { kind: "refuse", reason: `block ${result.index}: ${result.reason}` };
      return { kind: "punish", reason: `sent an invalid block ${result.index}: ${result.reason}` };
    case "unknown-parent":
      return { kind: "sync" };
    default:
      return { kind: "none" };
  }
}
