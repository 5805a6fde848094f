import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PeerTable, type PeerTableOptions } from "../../src/net/peer-table.js";

const SELF = "127.0.0.1:9000";

function peerTable(pinned: string[], overrides: Partial<PeerTableOptions> = {}) {
  const clock = { now: 1_000_000 };
  const table = new PeerTable(
    {
      self: SELF,
      max: 3,
      maxFailures: 3,
      banDurationMs: 60_000,
      retryBaseMs: 500,
      pinnedRetryMaxMs: 10_000,
      learntRetryMaxMs: 30_000,
      evictAfterMs: 600_000,
      now: () => clock.now,
      ...overrides,
    },
    pinned,
  );
  return { table, clock };
}

/** Fails `address` each time its back-off ends, `times` times; returns the pauses it was given. */
function failRepeatedly(
  table: PeerTable,
  clock: { now: number },
  address: string,
  times: number,
): number[] {
  const pauses: number[] = [];
  for (let i = 0; i < times; i++) {
    table.noteFailure(address);
    const next = table.nextRetryAt() as number;
    pauses.push(next - clock.now);
    clock.now = next;
  }
  return pauses;
}

describe("the peer table", () => {
  it("holds at most max neighbours; command-line ones beyond it are kept, not forgotten", () => {
    const { table } = peerTable(["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4"]);
    assert.deepEqual(table.list(), ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]);
    assert.equal(table.add("127.0.0.1:5"), false);
    assert.equal(table.knows("127.0.0.1:4"), true);
    assert.equal(table.isPinned("127.0.0.1:4"), true);
  });

  it("is never the node itself, however it is written", () => {
    const { table } = peerTable(["localhost:9000", "127.0.0.1:9000", "127.0.0.1:1"]);
    assert.deepEqual(table.list(), ["127.0.0.1:1"]);
    assert.equal(table.add("LOCALHOST:9000"), false);
  });

  it("normalises what it adds and refuses junk", () => {
    const { table } = peerTable([]);
    assert.equal(table.add("localhost:7"), true);
    assert.equal(table.add("127.0.0.1:7"), false);
    assert.equal(table.add("not an address"), false);
    assert.deepEqual(table.list(), ["127.0.0.1:7"]);
  });

  it("learns a neighbour's peers until full, ignoring junk, and remembers the rest", () => {
    const { table } = peerTable(["127.0.0.1:1"]);
    const added = table.learnFrom("127.0.0.1:1", [
      "127.0.0.1:2",
      42,
      "junk",
      null,
      SELF,
      "127.0.0.1:99999",
      "127.0.0.1:3",
      "127.0.0.1:4",
    ]);
    assert.deepEqual(added, ["127.0.0.1:2", "127.0.0.1:3"]);
    assert.deepEqual(table.list(), ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]);
    assert.equal(table.knows("127.0.0.1:4"), true);
  });

  it("does not ask a failing neighbour until its back-off has passed; the retry does", () => {
    const { table, clock } = peerTable(["127.0.0.1:1", "127.0.0.1:2"]);
    table.noteFailure("127.0.0.1:1");
    assert.deepEqual(table.usable(), ["127.0.0.1:2"]);
    assert.deepEqual(table.list(), ["127.0.0.1:1", "127.0.0.1:2"]);
    assert.deepEqual(table.due(), []);
    clock.now += 500;
    assert.deepEqual(table.due(), ["127.0.0.1:1"]);
  });

  it("never forgets a command-line neighbour: retried with a back-off that doubles up to 10 s", () => {
    const { table, clock } = peerTable(["127.0.0.1:1"]);
    const pauses = failRepeatedly(table, clock, "127.0.0.1:1", 12);
    assert.deepEqual(
      pauses,
      [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000],
    );
    assert.deepEqual(table.list(), ["127.0.0.1:1"]);
    clock.now += 24 * 3600_000;
    assert.deepEqual(table.due(), ["127.0.0.1:1"], "still retried a day later");
  });

  it("counts the failures of one outage once (requests in flight together)", () => {
    const { table, clock } = peerTable(["127.0.0.1:1"]);
    table.noteFailure("127.0.0.1:1");
    table.noteFailure("127.0.0.1:1");
    table.noteFailure("127.0.0.1:1");
    assert.equal(table.failuresOf("127.0.0.1:1"), 1);
    assert.equal(table.nextRetryAt(), clock.now + 500);
  });

  it("gives a learnt neighbour's place to a peer it knew after maxFailures, and keeps retrying it", () => {
    const { table, clock } = peerTable([]);
    for (const a of ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]) table.add(a);
    table.learnFrom("127.0.0.1:1", ["127.0.0.1:10"]);
    table.learnFrom("127.0.0.1:2", ["127.0.0.1:20"]);
    const pauses = failRepeatedly(table, clock, "127.0.0.1:2", 8);
    assert.deepEqual(table.list(), ["127.0.0.1:1", "127.0.0.1:3", "127.0.0.1:20"]);
    assert.deepEqual(pauses, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    assert.deepEqual(table.due(), ["127.0.0.1:2"]);
  });

  it("a peer that answers again is announced once and takes a free place again", () => {
    const { table, clock } = peerTable([]);
    table.add("127.0.0.1:1");
    failRepeatedly(table, clock, "127.0.0.1:1", 3);
    assert.deepEqual(table.list(), []);
    const recovered: string[] = [];
    table.on("recovered", (a) => recovered.push(a));
    table.noteSuccess("127.0.0.1:1");
    table.noteSuccess("127.0.0.1:1");
    assert.deepEqual(recovered, ["127.0.0.1:1"]);
    assert.deepEqual(table.list(), ["127.0.0.1:1"]);
    assert.deepEqual(table.usable(), ["127.0.0.1:1"]);
    assert.equal(table.nextRetryAt(), null);
  });

  it("forgets a learnt peer only after a long silence", () => {
    const { table, clock } = peerTable([]);
    table.add("127.0.0.1:1");
    failRepeatedly(table, clock, "127.0.0.1:1", 3);
    clock.now = 1_000_000 + 599_000;
    assert.equal(table.knows("127.0.0.1:1"), true);
    table.due();
    assert.equal(table.knows("127.0.0.1:1"), true);
    clock.now = 1_000_000 + 600_000;
    table.due();
    assert.equal(table.knows("127.0.0.1:1"), false);
  });

  it("a failure in the start-up grace time costs no place", () => {
    const { table, clock } = peerTable([], { graceUntil: 1_020_000 });
    table.add("127.0.0.1:1");
    failRepeatedly(table, clock, "127.0.0.1:1", 4);
    assert.deepEqual(table.list(), ["127.0.0.1:1"]);
    clock.now = 1_020_000;
    failRepeatedly(table, clock, "127.0.0.1:1", 1);
    assert.deepEqual(table.list(), []);
  });

  it("a caller that says it is a failing peer is tried again at once", () => {
    const { table, clock } = peerTable(["127.0.0.1:1"]);
    failRepeatedly(table, clock, "127.0.0.1:1", 6);
    table.noteFailure("127.0.0.1:1");
    assert.deepEqual(table.due(), []);
    table.noteAlive("127.0.0.1:1");
    assert.deepEqual(table.due(), ["127.0.0.1:1"]);
  });

  it("bans: drops the peer and refuses it until the ban expires", () => {
    const { table, clock } = peerTable(["127.0.0.1:2"]);
    table.add("127.0.0.1:1");
    table.ban("127.0.0.1:1");
    assert.deepEqual(table.list(), ["127.0.0.1:2"]);
    assert.equal(table.isBanned("127.0.0.1:1"), true);
    assert.equal(table.add("127.0.0.1:1"), false);
    assert.deepEqual(table.learnFrom("127.0.0.1:2", ["localhost:1"]), []);
    clock.now += 59_999;
    assert.equal(table.add("127.0.0.1:1"), false);
    clock.now += 1;
    assert.equal(table.isBanned("127.0.0.1:1"), false);
    assert.equal(table.add("127.0.0.1:1"), true);
  });

  it("a command-line neighbour comes back after its ban, taking a learnt one's place", () => {
    const { table, clock } = peerTable(["127.0.0.1:1"], { max: 2 });
    table.add("127.0.0.1:2");
    table.ban("127.0.0.1:1");
    table.add("127.0.0.1:3");
    assert.deepEqual(table.list(), ["127.0.0.1:2", "127.0.0.1:3"]);
    table.refill();
    assert.deepEqual(table.list(), ["127.0.0.1:2", "127.0.0.1:3"], "not while banned");
    clock.now += 60_000;
    table.refill();
    assert.deepEqual(table.list(), ["127.0.0.1:1", "127.0.0.1:2"]);
  });

  it("tells every change of the list", () => {
    const { table } = peerTable(["127.0.0.1:1"]);
    const seen: string[][] = [];
    table.on("change", (list) => seen.push(list));
    table.add("127.0.0.1:2");
    table.ban("127.0.0.1:1");
    assert.deepEqual(seen, [["127.0.0.1:1", "127.0.0.1:2"], ["127.0.0.1:2"]]);
  });
});
