import type { Data } from "../core/data.js";

/**
 * One page of pending messages for a peer's data sync: ordered by id, those
 * after `after`, at most `limit` of them and at most `maxBytes` of JSON (but
 * always at least one, so paging moves on). Ids order the pages, so a message
 * added or mined meanwhile shifts no other message to an earlier page.
 */
export function pendingPage(
  messages: Iterable<Data>,
  after: string,
  limit: number,
  maxBytes: number,
): Data[] {
  const later = [...messages].filter((d) => d.id > after).sort((a, b) => (a.id < b.id ? -1 : 1));
  const page: Data[] = [];
  let bytes = 2;
  for (const data of later) {
    if (page.length >= limit) break;
    // JSON length of the record; UTF-8 bytes are at most 3 per UTF-16 unit.
    const size = Buffer.byteLength(JSON.stringify(data)) + 1;
    if (page.length > 0 && bytes + size > maxBytes) break;
    page.push(data);
    bytes += size;
  }
  return page;
}
