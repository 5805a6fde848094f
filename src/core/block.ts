import type { Data } from "./data.js";

/** A block of the chain, in the SPEC's wire shape (also its disk shape). */
export interface Block {
  index: number;
  timestamp: number;
  data: Data;
  previous_hash: string | null;
  proof: number | null;
}

/** A block's proof value as used by the proof-of-work rule (null for genesis). */
export type Proof = number | null;

export type Chain = readonly Block[];

export const HASH_PATTERN = /^[0-9a-f]{64}$/;
