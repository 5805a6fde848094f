// The node's wire shapes (SPEC section 6), as the explorer reads them. They mirror
// src/core and src/api/node-api.ts; the UI cannot import those (they pull in Node
// APIs), so test/ui/wire-types.test.ts checks at compile time that both agree.

/** A message of the ledger. */
export interface Data {
  id: string;
  message: string;
}

/** A block, exactly as GET /blocks gives it. */
export interface Block {
  index: number;
  timestamp: number;
  data: Data;
  previous_hash: string | null;
  proof: number | null;
}

/** GET /status. */
export interface NodeStatus {
  length: number;
  tip: string;
  difficulty: number;
  neighbours: string[];
  pending: number;
  mining: boolean;
  hashrate: number;
  version: string;
  address: string;
}

/** GET /blocks?from=&limit=. */
export interface BlocksPage {
  blocks: Block[];
  length: number;
}

/** GET /data/:id. */
export type DataLookup =
  | { id: string; message: string; status: "pending" }
  | { id: string; message: string; status: "confirmed"; index: number; confirmations: number };

/** The `reorg` event of GET /events. */
export interface ReorgEvent {
  fork_index: number;
  old_tip: string;
  new_tip: string;
  returned: string[];
}

/** POST /add. */
export interface AddAnswer {
  message: string;
  more_information: string;
  id: string;
}
