import type { ChainState } from "../../src/chain/chain-state.js";
import { PendingPool } from "../../src/pool/pending-pool.js";

/**
 * A pending pool whose journal keeps nothing on disk, over a real chain: for
 * tests of the parts around the pool (network, block producer), where the
 * journal's durability is not what is tested (test/pool has that).
 */
export function memoryPool(chain: ChainState, maxPending: number): PendingPool {
  return new PendingPool(
    {
      journal: {
        add: async () => {},
        remove: async () => {},
        compact: async () => {},
        close: async () => {},
      },
      isInChain: (id) => chain.hasData(id),
    },
    { maxPending },
  );
}
