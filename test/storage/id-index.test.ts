import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { IdIndex } from "../../src/storage/id-index.js";

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
