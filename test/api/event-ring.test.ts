import assert from "node:assert/strict";
import { test } from "node:test";
import { EventRing, parseEventId } from "../../src/api/event-ring.js";

test("an event id says the run, the event's number and the chain's length", () => {
  const ring = new EventRing();
  const text = ring.push("block", { index: 4 }, 5);
  assert.equal(text, `id: ${ring.run}-1-5\nevent: block\ndata: {"index":4}\n\n`);
  assert.deepEqual(parseEventId(`${ring.run}-1-5`), { run: ring.run, seq: 1, length: 5 });
  for (const bad of [undefined, "", "1-5", "abc-1-5", `${ring.run}-x-5`, `${ring.run}-1-5-6`])
    assert.equal(parseEventId(bad), null, String(bad));
});

test("the ring gives the events after an id while it holds them all", () => {
  const ring = new EventRing(3);
  for (let i = 1; i <= 5; i++) ring.push("data", { i }, 1);
  const after = (seq: number) => ring.since({ run: ring.run, seq, length: 1 })?.map((e) => e.seq);
  assert.deepEqual(after(2), [3, 4, 5]);
  assert.deepEqual(after(4), [5]);
  assert.deepEqual(after(5), []);
  assert.equal(after(1), undefined, "event 2 was dropped: the ring cannot tell what was missed");
  assert.equal(after(6), undefined, "an id from the future is not ours");
  assert.equal(ring.since({ run: "00000000", seq: 4, length: 1 }), null, "another run");
});

test("the ring is bounded in bytes too", () => {
  const payload = { message: "x".repeat(100) };
  const size = new EventRing().push("data", payload, 1).length;
  // Room for two and a half events: the two newest stay.
  const ring = new EventRing(1000, Math.floor(size * 2.5));
  for (let i = 0; i < 10; i++) ring.push("data", payload, 1);
  assert.deepEqual(
    ring.since({ run: ring.run, seq: 8, length: 1 })?.map((e) => e.seq),
    [9, 10],
  );
  assert.equal(ring.since({ run: ring.run, seq: 7, length: 1 }), null);
});

test("numbers skipped without being kept leave the ring unable to resume from before them", () => {
  const ring = new EventRing(3);
  ring.push("data", { i: 1 }, 1);
  ring.push("data", { i: 2 }, 1);
  ring.skip(5000);
  assert.equal(ring.lastSeq, 5002);
  assert.equal(
    ring.since({ run: ring.run, seq: 2, length: 1 }),
    null,
    "the skipped events are gone",
  );
  assert.deepEqual(ring.since({ run: ring.run, seq: 5002, length: 1 }), []);
  ring.push("block", { index: 5 }, 6);
  assert.deepEqual(
    ring.since({ run: ring.run, seq: 5002, length: 1 })?.map((e) => e.seq),
    [5003],
  );
});
