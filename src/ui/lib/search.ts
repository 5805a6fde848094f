// The search box: a block index or a message id, told apart by their shape.
import type { Route } from "./route.js";

export type SearchResult = { ok: true; route: Route } | { ok: false; reason: string };

/**
 * Where a search for `query` leads: digits (optionally `#12` or `block 12`) are a
 * block index, 32 hex characters a message id. `tip` (the tip's hash) lets the tip
 * be found by its hash too; the API has no look-up by hash for other blocks.
 */
export function resolveSearch(query: string, length: number, tip?: string): SearchResult {
  const text = query.trim().toLowerCase().replace(/-/g, "");
  if (text === "") return { ok: false, reason: "Type a block index or a message id." };
  const indexMatch = /^(?:#|block\s*)?(\d{1,15})$/.exec(text);
  if (indexMatch) {
    const index = Number(indexMatch[1]);
    if (index >= length) {
      return {
        ok: false,
        reason: `No block ${index}: the chain has ${length} blocks (0 to ${Math.max(0, length - 1)}).`,
      };
    }
    return { ok: true, route: { name: "block", index } };
  }
  if (/^[0-9a-f]{32}$/.test(text)) return { ok: true, route: { name: "message", id: text } };
  if (/^[0-9a-f]{64}$/.test(text)) {
    if (tip && text === tip && length > 0)
      return { ok: true, route: { name: "block", index: length - 1 } };
    return {
      ok: false,
      reason:
        "Block hashes can't be searched (the API looks blocks up by index); only the tip's hash is known.",
    };
  }
  return { ok: false, reason: "Not a block index (digits) nor a message id (32 hex characters)." };
}
