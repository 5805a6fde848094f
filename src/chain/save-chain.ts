import type { Data } from "../core/data.js";
import type { ChainStore } from "../storage/chain-store.js";
import type { ChainState } from "./chain-state.js";

/** The blocks a save left unsaved: how many, and their messages (decoded when asked for). */
export interface UnsavedAfterSave {
  readonly count: number;
  list(): Data[];
}

/**
 * Writes to `store` what changed in `chain` since its last save (appended
 * blocks, or the new branch after a reorg). Resolves to the blocks still not
 * on disk (those that changed while the save ran: a sync may have added
 * thousands), or null when there was nothing to save.
 */
export async function saveChain(
  chain: ChainState,
  store: ChainStore,
): Promise<UnsavedAfterSave | null> {
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
  const count = chain.length - unsavedFrom;
  // Decoded only if the caller asks (a journal compaction), from the chain as it is then.
  return { count, list: () => chain.slice(unsavedFrom, count).map((b) => b.data) };
}

/** The messages of the blocks not (or no longer) on disk as they are in `chain`. */
export function unsavedMessages(chain: ChainState, persistedLength: number): Data[] {
  const from = Math.min(chain.dirtyFrom, persistedLength);
  return chain.slice(from, chain.length - from).map((b) => b.data);
}
