import type { Data } from "../core/data.js";
import type { ChainStore } from "../storage/chain-store.js";
import type { ChainState } from "./chain-state.js";

/**
 * Writes to `store` what changed in `chain` since its last save (appended
 * blocks, or the new branch after a reorg). Resolves to the messages of the
 * blocks still not on disk (those that changed while the save ran), or null
 * when there was nothing to save.
 */
export async function saveChain(chain: ChainState, store: ChainStore): Promise<Data[] | null> {
  const snapshot = chain.blocks.slice();
  const dirtyFrom = chain.dirtyFrom;
  if (dirtyFrom >= snapshot.length && store.persistedLength === snapshot.length) return null;
  chain.markSaved();
  try {
    await store.save(snapshot, dirtyFrom);
  } catch (err) {
    chain.markDirtyFrom(dirtyFrom);
    throw err;
  }
  const unsavedFrom = Math.min(chain.dirtyFrom, snapshot.length);
  return chain.blocks.slice(unsavedFrom).map((b) => b.data);
}
