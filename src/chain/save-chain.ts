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
  const length = chain.length;
  const dirtyFrom = chain.dirtyFrom;
  if (dirtyFrom >= length && store.persistedLength === length) return null;
  // Only what changed is copied out (the records as they stand now): the chain may move on meanwhile.
  const run = chain.recordsFrom(Math.min(dirtyFrom, store.persistedLength));
  const saving = chain.beginSave();
  try {
    await store.save(run, dirtyFrom);
  } catch (err) {
    chain.saveFailed(saving, dirtyFrom);
    throw err;
  }
  // The saved blocks no reorg replaced meanwhile leave memory (read from the file from now on).
  chain.savedTo(store, saving);
  const unsavedFrom = Math.min(chain.dirtyFrom, length);
  return chain.slice(unsavedFrom, chain.length).map((b) => b.data);
}

/** The messages of the blocks not (or no longer) on disk as they are in `chain`. */
export function unsavedMessages(chain: ChainState, persistedLength: number): Data[] {
  const from = Math.min(chain.dirtyFrom, persistedLength);
  return chain.slice(from, chain.length - from).map((b) => b.data);
}
