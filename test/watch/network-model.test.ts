import assert from "node:assert/strict";
import { test } from "node:test";
import { NetworkModel, type Sighting } from "../../src/watch/network-model.js";

const hash = (n: number) => n.toString(16).padStart(64, "0");

function model(now = () => 1_000) {
  return new NetworkModel({ maxBlocks: 50, maxEvents: 20, maxSamples: 10, lagBlocks: 3, now });
}

function status(length: number, tip: string) {
  return { node_id: "id", length, tip, pending: 0, hashrate: 0, neighbours: [] };
}

function seen(
  n: number,
  parent: number | null,
  index: number,
  firstSeen: number,
  onMain = true,
): Sighting {
  return {
    hash: hash(n),
    previous_hash: parent === null ? null : hash(parent),
    index,
    first_seen: firstSeen,
    on_main: onMain,
  };
}

test("two children of one block are a fork, told once", () => {
  const m = model();
  m.addNode("a:1");
  m.noteSeen("a:1", seen(1, null, 0, 10));
  m.noteSeen("a:1", seen(2, 1, 1, 20));
  m.noteSeen("a:1", seen(3, 1, 1, 30, false));
  m.noteSeen("a:1", seen(3, 1, 1, 31, false));
  const forks = m.snapshot(false).events.filter((e) => e.kind === "fork");
  assert.equal(forks.length, 1);
  assert.equal(forks[0]?.index, 1);
  assert.deepEqual(forks[0]?.hashes, [hash(2), hash(3)]);
});

test("a block's spread is counted once every reachable node saw it", () => {
  const m = model();
  for (const node of ["a:1", "b:1", "c:1"]) {
    m.addNode(node);
    m.noteStatus(node, status(1, hash(1)));
  }
  m.noteSeen("a:1", seen(2, 1, 1, 100));
  m.noteSeen("b:1", seen(2, 1, 1, 130));
  assert.equal(m.propagation().samples, 0, "not yet seen by c");
  m.noteSeen("c:1", seen(2, 1, 1, 190));
  const p = m.propagation();
  assert.equal(p.samples, 1);
  assert.equal(p.max_ms, 90);
  const block = m.snapshot(false).blocks.find((b) => b.hash === hash(2));
  assert.deepEqual(block?.seen_by, ["a:1", "b:1", "c:1"]);
  assert.equal(block?.first_seen, 100);
  assert.deepEqual(block?.tip_of, ["a:1", "b:1", "c:1"], "each took it as its tip");
});

test("behind, lagging, unreachable and reachable are told as they change", () => {
  const m = model();
  m.addNode("a:1");
  m.addNode("b:1");
  m.noteStatus("a:1", status(10, hash(10)));
  m.noteStatus("b:1", status(6, hash(6)));
  let snapshot = m.snapshot(false);
  assert.equal(snapshot.nodes.find((n) => n.address === "b:1")?.behind, 4);
  assert.ok(snapshot.events.some((e) => e.kind === "lagging" && e.node === "b:1"));
  m.noteUnreachable("b:1", "refused");
  m.noteStatus("b:1", status(10, hash(10)));
  snapshot = m.snapshot(false);
  const kinds = snapshot.events.filter((e) => e.node === "b:1").map((e) => e.kind);
  assert.deepEqual(kinds, ["joined", "lagging", "unreachable", "reachable", "caught-up"]);
  assert.equal(snapshot.nodes.find((n) => n.address === "b:1")?.behind, 0);
});

test("a reorg's depth is how many blocks the node left", () => {
  const m = model();
  m.addNode("a:1");
  m.noteSeen("a:1", seen(5, null, 5, 1));
  m.noteSeen("a:1", seen(6, 5, 6, 2));
  m.noteSeen("a:1", seen(7, 6, 7, 3));
  m.noteReorg("a:1", { fork_index: 5, old_tip: hash(7), new_tip: hash(9) });
  const reorg = m.snapshot(false).events.find((e) => e.kind === "reorg");
  assert.equal(reorg?.depth, 2);
});

test("a ban a node's /peers shows is told once", () => {
  const m = model();
  m.addNode("a:1");
  const peers = [{ address: "x:1", state: "banned", rtt_ms: null }];
  m.notePeers("a:1", peers);
  m.notePeers("a:1", peers);
  assert.equal(m.snapshot(false).events.filter((e) => e.kind === "ban").length, 1);
});

test("memory is bounded: blocks, events and samples have caps", () => {
  const m = model();
  m.addNode("a:1");
  m.addNode("b:1");
  for (let i = 1; i <= 200; i++) {
    m.noteSeen("a:1", seen(i, i - 1, i, i));
    m.noteSeen("a:1", seen(10_000 + i, i - 1, i, i, false));
  }
  assert.equal(m.blockCount, 50);
  assert.ok(m.snapshot(false).events.length <= 20);
});

test("deltas carry only what changed, then nothing", () => {
  const m = model();
  m.addNode("a:1");
  assert.ok(m.takeDelta());
  assert.equal(m.takeDelta(), null);
  m.noteSeen("a:1", seen(1, null, 0, 5));
  const delta = m.takeDelta();
  assert.deepEqual(
    delta?.blocks.map((b) => b.hash),
    [hash(1)],
  );
});
