// How live events change what a view already holds; pure, so the rules are unit-tested.
import type { Block, Data } from "./wire.js";

/**
 * The newest-first page of the tip after `block` joined the chain, or null when
 * the block does not extend the page's top (a gap or a replaced tip): then the
 * view fetches the page again rather than guess.
 */
export function prependBlock(page: readonly Block[], block: Block, size: number): Block[] | null {
  const top = page[0];
  if (top === undefined) return block.index === 0 ? [block] : null;
  if (block.index === top.index + 1 && block.previous_hash !== null)
    return [block, ...page].slice(0, size);
  if (block.index === top.index && sameBlock(block, top)) return [...page];
  return null;
}

function sameBlock(a: Block, b: Block): boolean {
  return (
    a.timestamp === b.timestamp &&
    a.proof === b.proof &&
    a.data.id === b.data.id &&
    a.previous_hash === b.previous_hash
  );
}

/** The pending list after `data` became pending (no duplicate; newest last, as the node lists them). */
export function addPending(list: readonly Data[], data: Data): Data[] {
  return list.some((d) => d.id === data.id) ? [...list] : [...list, data];
}

/** The pending list after `block` confirmed its message. */
export function removeConfirmed(list: readonly Data[], block: Block): Data[] {
  return list.filter((d) => d.id !== block.data.id);
}

/** Confirmations of a block at `index` in a chain of `length` blocks: the tip has 1. */
export function confirmations(index: number, length: number): number {
  return Math.max(0, length - index);
}

/** UTF-8 byte length of a message, as the node counts it against its limit. */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
