// Where the fork tree's boxes go, and which of them are in sight. Pure: unit-tested without a browser.
import type { TreeItem } from "./branches.js";

export const COLUMN_W = 118;
export const LANE_H = 56;
export const BOX_W = 96;
export const BOX_H = 34;

/** An item's left edge in the tree's drawing (px). */
export function boxLeft(item: TreeItem): number {
  return 10 + item.column * COLUMN_W;
}

/**
 * The items in sight, with a screen's width on each side (so a quick scroll shows boxes
 * before the next frame draws more): a tree of 200 heights is thousands of SVG elements,
 * and styling and painting them all at each update cost more than the whole rest of the page.
 * An edge is drawn with its child, so a child in sight whose parent is not still has its edge.
 */
export function visibleItems(items: readonly TreeItem[], left: number, width: number): TreeItem[] {
  const from = left - width;
  const to = left + 2 * width;
  return items.filter((item) => {
    const start = boxLeft(item);
    const parentStart = item.parent ? boxLeft(item.parent) : start;
    return start + BOX_W >= from && parentStart <= to;
  });
}
