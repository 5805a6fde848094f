// The node's wire shapes (SPEC section 6), as the explorer reads them. The shared ones
// are the node's own types: type-only imports, erased from the browser bundle.
import type { Block } from "../../core/block.js";

export type { DataLookup, NodeStatus } from "../../api/node-api.js";
export type { Block } from "../../core/block.js";
export type { Data } from "../../core/data.js";

/** GET /blocks?from=&limit=. */
export interface BlocksPage {
  blocks: Block[];
  length: number;
}

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
