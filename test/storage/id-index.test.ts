import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { IdIndex } from "../../src/storage/index/id-index.js";
import { nativeChainIndex } from "../../src/storage/index/native-chain-index.js";

const hexId = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => Buffer.from(b).toString("hex"));

test("IdIndex: like a Map of id -> index under adds in order and truncations (property)", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          hexId.map((id) => ({ add: id })),
          fc.nat(60).map((keep) => ({ keep })),
        ),
        {
          maxLength: 200,
        },
      ),
      (steps) => {
        const index = new IdIndex(4);
        const model: string[] = [];
        for (const step of steps) {
          if ("add" in step) {
            const earlier = model.indexOf(step.add);
            assert.equal(index.add(step.add), earlier < 0 ? undefined : earlier);
            if (earlier < 0) model.push(step.add);
          } else {
            index.truncate(step.keep);
            model.length = Math.min(model.length, step.keep);
          }
          assert.equal(index.size, model.length);
        }
        for (const [i, id] of model.entries()) assert.equal(index.get(id), i);
        for (const step of steps) {
          if (!("add" in step)) continue;
          const raw = Buffer.concat([Buffer.from([7]), Buffer.from(step.add, "hex")]);
          assert.equal(index.hasBytes(raw, 1), model.includes(step.add));
        }
      },
    ),
  );
});

test("IdIndex: ids that share all but their last bytes (as sequential ids do) stay apart; bad text is not found", () => {
  const index = new IdIndex();
  const ids = Array.from({ length: 50_000 }, (_, i) => i.toString(16).padStart(32, "0"));
  for (const id of ids) assert.equal(index.add(id), undefined);
  for (const [i, id] of ids.entries()) assert.equal(index.get(id), i);
  assert.equal(index.get("f".repeat(32)), undefined);
  assert.equal(index.get("not an id"), undefined);
  assert.equal(index.get("A".repeat(32)), undefined);
  assert.equal(index.has(ids[7] as string), true);
});

const NATIVE = nativeChainIndex();
for (const native of [null, NATIVE]) {
  const engine = native ? "native" : "TypeScript";
  test(`IdIndex (${engine}): a run of ids it does not hold is added at once, after a truncation too`, () => {
    const index = new IdIndex(4);
    const ids = Array.from({ length: 3000 }, (_, i) => (i * 7919).toString(16).padStart(32, "0"));
    for (const id of ids.slice(0, 10)) index.add(id);
    index.truncate(5);
    const run = Buffer.from(ids.slice(5).join(""), "hex");
    index.addAbsent(run.subarray(0, 1000 * 16), 1000, native);
    index.addAbsent(run.subarray(1000 * 16), ids.length - 1005, native);
    assert.equal(index.size, ids.length);
    for (const [i, id] of ids.entries()) assert.equal(index.get(id), i);
    assert.equal(index.idAt(2999), ids[2999]);
    assert.equal(index.indexOfBytes(run, 16 * 100), 105);
    assert.equal(index.add("f".repeat(32)), undefined);
    assert.equal(index.get("f".repeat(32)), 3000);
  });

  test(`IdIndex (${engine}): the first of a run's ids it holds below a block index`, () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(hexId, { minLength: 1, maxLength: 60 }),
        fc.nat(70),
        fc.nat(70),
        fc.nat(80),
        (ids, keep, split, below) => {
          const held = ids.slice(0, Math.min(split, ids.length));
          const index = new IdIndex(2);
          for (const id of held) index.add(id);
          index.truncate(keep);
          const query = Buffer.from([...ids].reverse().join(""), "hex");
          const expected = [...ids].reverse().findIndex((id) => {
            const at = index.get(id);
            return at !== undefined && at < below;
          });
          assert.equal(index.firstHeldBelow(query, 0, ids.length, below, native), expected);
          const from = Math.min(3, ids.length);
          const later = [...ids].reverse().findIndex((id, i) => {
            const at = index.get(id);
            return i >= from && at !== undefined && at < below;
          });
          assert.equal(index.firstHeldBelow(query, from, ids.length, below, native), later);
        },
      ),
    );
  });
}
