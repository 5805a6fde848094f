import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { openEvents, type SseEvent, type SseStream } from "../helpers/sse.js";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { mineNext } from "../helpers/tiny-chain.js";

const D = 2;
let dir: string;
let node: TestMiner;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "bc-events-"));
  node = await startTestMiner({ mine: false, difficulty: D }, dir);
});
after(async () => {
  await node.stop();
  await rm(dir, { recursive: true, force: true });
});

async function tip(url = node.url): Promise<Block> {
  const { body } = await http(`${url}/blocks?from=0`);
  return body.blocks.at(-1);
}

/** Announces `count` new blocks on the tip, one announce each; returns their indexes. */
async function addBlocks(count: number, url = node.url): Promise<number[]> {
  const indexes: number[] = [];
  let parent = await tip(url);
  for (let i = 0; i < count; i++) {
    const block = mineNext(parent, D, `block after ${parent.index}`);
    const { body } = await postJson(`${url}/blocks`, { blocks: [block] });
    assert.equal(body.accepted, true);
    indexes.push(block.index);
    parent = block;
  }
  return indexes;
}

/** Adds a message and reads the stream up to its `data` event: everything sent before it. */
async function eventsUntilMarker(stream: SseStream, url = node.url): Promise<SseEvent[]> {
  const { body } = await postJson(`${url}/add`, { message: "marker" });
  const events = await stream.until((e) => e.event === "data" && e.data.id === body.id);
  return events.slice(0, -1);
}

test("every event carries an id, and ids follow each other", async () => {
  const stream = await openEvents(`${node.url}/events`);
  try {
    const [index] = await addBlocks(1);
    const block = await stream.next();
    const events = [block, ...(await eventsUntilMarker(stream))];
    assert.equal(block.event, "block");
    assert.equal(block.data.index, index);
    for (const event of events) assert.match(event.id ?? "", /^[0-9a-f]{8}-\d+-\d+$/);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
  } finally {
    stream.close();
  }
});

/**
 * A client sees one block's event and goes away while `missing` blocks are
 * added, then comes back through `reopen` with the id it saw: the events it
 * is given up to the marker, and the indexes of the blocks it missed.
 */
async function missThenResume(
  missing: number,
  reopen: (seenId: string) => Promise<SseStream>,
): Promise<{ caughtUp: SseEvent[]; missed: number[] }> {
  const first = await openEvents(`${node.url}/events`);
  await addBlocks(1);
  const seen = await first.next();
  first.close();
  const missed = await addBlocks(missing);
  const again = await reopen(seen.id as string);
  try {
    return { caughtUp: await eventsUntilMarker(again), missed };
  } finally {
    again.close();
  }
}

test("a client that reconnects with Last-Event-ID gets exactly the blocks it missed", async () => {
  const { caughtUp, missed } = await missThenResume(3, (id) =>
    openEvents(`${node.url}/events`, { "Last-Event-ID": id }),
  );
  // Each block joined, then was told as seen (SPEC: every valid block received or mined);
  // the client left after the block event of the one before, so its seen event comes first.
  assert.deepEqual(
    caughtUp.map((e) => [e.event, e.data.index]),
    [
      ["seen", (missed[0] as number) - 1],
      ...missed.flatMap((index) => [
        ["block", index],
        ["seen", index],
      ]),
    ],
  );
});

test("?last_event_id= resumes like the header (for a client that reopens the stream itself)", async () => {
  const { caughtUp, missed } = await missThenResume(2, (id) =>
    openEvents(`${node.url}/events?last_event_id=${encodeURIComponent(id)}`),
  );
  assert.deepEqual(
    caughtUp.filter((e) => e.event === "block").map((e) => e.data.index),
    missed,
  );
});

test("an id the node does not know resumes nothing, and the stream goes on", async () => {
  const stream = await openEvents(`${node.url}/events`, { "Last-Event-ID": "not-an-id" });
  try {
    assert.deepEqual(await eventsUntilMarker(stream), []);
  } finally {
    stream.close();
  }
});

test("after the node restarts, the blocks a client missed are sent again from the chain", async () => {
  const first = await openEvents(`${node.url}/events`);
  await addBlocks(1);
  const seen = await first.next();
  first.close();
  await node.stop();
  node = await startTestMiner({ mine: false, difficulty: D }, dir);
  const missed = await addBlocks(2);
  const again = await openEvents(`${node.url}/events`, { "Last-Event-ID": seen.id as string });
  try {
    const caughtUp = await eventsUntilMarker(again);
    assert.deepEqual(
      caughtUp.map((e) => [e.event, e.data.index]),
      missed.map((index) => ["block", index]),
    );
    // Those ids resume too: nothing is sent twice.
    const last = caughtUp.at(-1) as SseEvent;
    again.close();
    const third = await openEvents(`${node.url}/events`, { "Last-Event-ID": last.id as string });
    try {
      const rest = await eventsUntilMarker(third);
      assert.deepEqual(
        rest.map((e) => e.event),
        ["data"],
        "only the first marker, which came after those blocks",
      );
    } finally {
      third.close();
    }
  } finally {
    again.close();
  }
});
