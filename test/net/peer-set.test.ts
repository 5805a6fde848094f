import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PeerSet, type PeerSetOptions } from "../../src/net/peer-set.js";

const SELF = "127.0.0.1:9000";

function peerSet(initial: string[], overrides: Partial<PeerSetOptions> = {}) {
  const clock = { now: 1_000_000 };
  const set = new PeerSet(
    {
      self: SELF,
      max: 3,
      maxFailures: 3,
      banDurationMs: 60_000,
      retryAfterMs: 30_000,
      now: () => clock.now,
      ...overrides,
    },
    initial,
  );
  return { set, clock };
}

describe("the neighbour set", () => {
  it("holds at most max neighbours and keeps the rest as candidates", () => {
    const { set } = peerSet(["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4"]);
    assert.deepEqual(set.list(), ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]);
    assert.equal(set.add("127.0.0.1:5"), false);
  });

  it("is never the node itself, however it is written", () => {
    const { set } = peerSet(["localhost:9000", "127.0.0.1:9000", "127.0.0.1:1"]);
    assert.deepEqual(set.list(), ["127.0.0.1:1"]);
    assert.equal(set.add("LOCALHOST:9000"), false);
  });

  it("normalises what it adds and refuses junk", () => {
    const { set } = peerSet([]);
    assert.equal(set.add("localhost:7"), true);
    assert.equal(set.add("127.0.0.1:7"), false);
    assert.equal(set.add("not an address"), false);
    assert.deepEqual(set.list(), ["127.0.0.1:7"]);
  });

  it("learns a neighbour's peers until full, ignoring junk", () => {
    const { set } = peerSet(["127.0.0.1:1"]);
    const added = set.learnFrom("127.0.0.1:1", [
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
    assert.deepEqual(set.list(), ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]);
  });

  it("drops a neighbour after maxFailures failures in a row and replaces it from the peers it knew", () => {
    const { set } = peerSet(["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]);
    set.learnFrom("127.0.0.1:1", ["127.0.0.1:10"]);
    set.learnFrom("127.0.0.1:2", ["127.0.0.1:20"]);
    assert.equal(set.noteFailure("127.0.0.1:2"), false);
    assert.equal(set.noteFailure("127.0.0.1:2"), false);
    assert.equal(set.noteFailure("127.0.0.1:2"), true);
    assert.deepEqual(set.list(), ["127.0.0.1:1", "127.0.0.1:3", "127.0.0.1:20"]);
  });

  it("starts counting failures again after a success", () => {
    const { set } = peerSet(["127.0.0.1:1"]);
    set.noteFailure("127.0.0.1:1");
    set.noteFailure("127.0.0.1:1");
    set.noteSuccess("127.0.0.1:1");
    assert.equal(set.noteFailure("127.0.0.1:1"), false);
    assert.equal(set.noteFailure("127.0.0.1:1"), false);
    assert.deepEqual(set.list(), ["127.0.0.1:1"]);
  });

  it("does not count failures during the start-up grace time", () => {
    const { set, clock } = peerSet(["127.0.0.1:1"], { graceUntil: 1_005_000 });
    for (let i = 0; i < 5; i++) set.noteFailure("127.0.0.1:1");
    assert.deepEqual(set.list(), ["127.0.0.1:1"]);
    clock.now = 1_005_000;
    for (let i = 0; i < 3; i++) set.noteFailure("127.0.0.1:1");
    assert.deepEqual(set.list(), []);
  });

  it("tries a dropped neighbour again only after the retry delay", () => {
    const { set, clock } = peerSet(["127.0.0.1:1"]);
    for (let i = 0; i < 3; i++) set.noteFailure("127.0.0.1:1");
    assert.deepEqual(set.refill(), []);
    clock.now += 30_000;
    assert.deepEqual(set.refill(), ["127.0.0.1:1"]);
  });

  it("bans: drops the peer, refuses it until the ban expires", () => {
    const { set, clock } = peerSet(["127.0.0.1:1", "127.0.0.1:2"]);
    set.ban("127.0.0.1:1");
    assert.deepEqual(set.list(), ["127.0.0.1:2"]);
    assert.equal(set.isBanned("127.0.0.1:1"), true);
    assert.equal(set.add("127.0.0.1:1"), false);
    assert.deepEqual(set.learnFrom("127.0.0.1:2", ["localhost:1"]), []);
    clock.now += 59_999;
    assert.equal(set.add("127.0.0.1:1"), false);
    clock.now += 1;
    assert.equal(set.isBanned("127.0.0.1:1"), false);
    assert.equal(set.add("127.0.0.1:1"), true);
  });

  it("tells every change of the list", () => {
    const { set } = peerSet(["127.0.0.1:1"]);
    const seen: string[][] = [];
    set.on("change", (list) => seen.push(list));
    set.add("127.0.0.1:2");
    set.ban("127.0.0.1:1");
    assert.deepEqual(seen, [["127.0.0.1:1", "127.0.0.1:2"], ["127.0.0.1:2"]]);
  });
});
