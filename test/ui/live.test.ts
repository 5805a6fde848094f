import assert from "node:assert/strict";
import { test } from "node:test";
import { coalesce } from "../../src/ui/lib/coalesce.js";
import {
  addPending,
  confirmations,
  prependBlock,
  removeConfirmed,
  utf8Bytes,
} from "../../src/ui/lib/live.js";
import type { Block } from "../../src/ui/lib/wire.js";

function block(index: number, id = String(index).padStart(32, "0")): Block {
  return {
    index,
    timestamp: 1000 + index,
    data: { id, message: `m${index}` },
    previous_hash: index === 0 ? null : "0".repeat(64),
    proof: index === 0 ? null : index,
  };
}

test("a block that extends the tip goes on top of the first page, which keeps its size", () => {
  const page = [block(5), block(4), block(3)];
  assert.deepEqual(
    prependBlock(page, block(6), 3)?.map((b) => b.index),
    [6, 5, 4],
  );
  assert.deepEqual(
    prependBlock([], block(0), 3)?.map((b) => b.index),
    [0],
  );
});

test("a block that leaves a gap or replaces the tip asks for a fresh page", () => {
  const page = [block(5), block(4)];
  assert.equal(prependBlock(page, block(7), 3), null);
  assert.equal(prependBlock(page, { ...block(5), proof: 99 }, 3), null);
  assert.equal(prependBlock([], block(4), 3), null);
});

test("the same block announced twice changes nothing", () => {
  const page = [block(5), block(4)];
  assert.deepEqual(prependBlock(page, block(5), 3), page);
});

test("pending messages are added once and leave when a block confirms them", () => {
  const a = { id: "a".repeat(32), message: "a" };
  const b = { id: "b".repeat(32), message: "b" };
  assert.deepEqual(addPending(addPending([a], b), b), [a, b]);
  assert.deepEqual(removeConfirmed([a, b], block(3, a.id)), [b]);
});

test("the tip has one confirmation, each later block adds one", () => {
  assert.equal(confirmations(9, 10), 1);
  assert.equal(confirmations(0, 10), 10);
  assert.equal(confirmations(12, 10), 0);
});

test("message sizes count UTF-8 bytes, as the node's limit does", () => {
  assert.equal(utf8Bytes("abc"), 3);
  assert.equal(utf8Bytes("é€😀"), 2 + 3 + 4);
});

test("calls during a refresh collapse into one more run", async () => {
  let runs = 0;
  let release: () => void = () => undefined;
  const refresh = coalesce(async () => {
    runs++;
    if (runs === 1) await new Promise<void>((r) => (release = r));
  });
  const first = refresh();
  void refresh();
  void refresh();
  void refresh();
  release();
  await first;
  assert.equal(runs, 2);
});

test("a failed refresh does not stop later ones", async () => {
  let runs = 0;
  const refresh = coalesce(async () => {
    runs++;
    throw new Error("node down");
  });
  await refresh();
  await refresh();
  assert.equal(runs, 2);
});
