// Paging of the chain, newest first: page 1 holds the newest blocks, so opening the
// explorer fetches only the tip's page whatever the chain's length.

/** Blocks per page of the chain view. */
export const PAGE_SIZE = 25;

/** One page's window of indexes: GET /blocks?from=`from`&limit=`limit`. */
export interface PageWindow {
  page: number;
  from: number;
  limit: number;
  pages: number;
}

/** How many pages a chain of `length` blocks fills (at least 1, so an empty view still has a page). */
export function pageCount(length: number, size = PAGE_SIZE): number {
  return Math.max(1, Math.ceil(length / size));
}

/** The window of page `page` (1 = newest), clamped to the pages that exist. */
export function pageWindow(length: number, page: number, size = PAGE_SIZE): PageWindow {
  const pages = pageCount(length, size);
  const p = Math.min(Math.max(1, Math.trunc(page) || 1), pages);
  const end = Math.max(0, length - (p - 1) * size);
  const from = Math.max(0, end - size);
  return { page: p, from, limit: end - from, pages };
}

/** The page (1 = newest) on which block `index` appears in a chain of `length` blocks. */
export function pageOfIndex(length: number, index: number, size = PAGE_SIZE): number {
  if (index < 0 || index >= length) return 1;
  return Math.floor((length - 1 - index) / size) + 1;
}

/** The page numbers a pager shows around `page`: first, last, neighbours, and null for a gap. */
export function pagerItems(page: number, pages: number, around = 1): (number | null)[] {
  const wanted = new Set<number>([1, pages]);
  for (let p = page - around; p <= page + around; p++) if (p >= 1 && p <= pages) wanted.add(p);
  const sorted = [...wanted].sort((a, b) => a - b);
  const items: (number | null)[] = [];
  for (const p of sorted) {
    const last = items[items.length - 1];
    // A gap of one page shows that page rather than an ellipsis standing for it.
    if (typeof last === "number" && p - last === 2) items.push(last + 1);
    else if (typeof last === "number" && p - last > 2) items.push(null);
    items.push(p);
  }
  return items;
}
