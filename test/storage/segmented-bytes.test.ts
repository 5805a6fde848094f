import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SegmentedBytes } from "../../src/storage/index/segmented-bytes.js";

type Step =
  | { append: number; fill: number; slices: number }
  | { write: number; fill: number }
  | { truncate: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    append: fc.integer({ min: 1, max: 200_000 }),
    fill: fc.nat(255),
    slices: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ write: fc.integer({ min: 1, max: 3000 }), fill: fc.nat(255) }),
  fc.record({ truncate: fc.nat(400_000) }),
);

/** Bytes counting up from `fill`, so that every offset's byte tells where it came from. */
function bytesOf(length: number, fill: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (fill + i) & 0xff;
  return out;
}

test("segmented bytes read like one buffer under appends (kept or copied), writes and truncations (property)", () => {
  fc.assert(
    fc.property(
      fc.array(step, { maxLength: 25 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (steps, reads) => {
        const first = Buffer.alloc(4096);
        first.write("HEAD", 0);
        const space = new SegmentedBytes(first, 4);
        let model = Buffer.from("HEAD");
        for (const s of steps) {
          if ("append" in s) {
            // A page given in slices of one buffer, as a sync adopts it.
            const page = bytesOf(s.append, s.fill);
            const cut = Math.floor(s.append / s.slices);
            for (let at = 0; at < s.append; at += cut || s.append) {
              space.append(page.subarray(at, Math.min(s.append, at + (cut || s.append))));
            }
            model = Buffer.concat([model, page]);
          } else if ("write" in s) {
            const bytes = bytesOf(s.write, s.fill);
            space.write(bytes);
            bytes.fill(0); // written means copied
            model = Buffer.concat([model, bytesOf(s.write, s.fill)]);
          } else {
            space.truncate(s.truncate);
            model = model.subarray(0, Math.min(model.length, s.truncate));
          }
          assert.equal(space.length, model.length);
        }
        assert.ok(space.copy(0, model.length).equals(model));
        for (const r of reads) {
          const from = model.length === 0 ? 0 : r % model.length;
          const to = Math.min(model.length, from + (r % 70_000));
          assert.ok(space.view(from, to).equals(model.subarray(from, to)), `view ${from}-${to}`);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("a page appended in slices is kept as it came: one segment, no copy", () => {
  const space = new SegmentedBytes(Buffer.alloc(16), 0);
  const page = bytesOf(300_000, 7);
  space.append(page.subarray(0, 100_000));
  space.append(page.subarray(100_000, 300_000));
  const whole = space.view(0, 300_000);
  assert.equal(whole.buffer, page.buffer, "a view of the page itself");
  assert.equal(whole.byteOffset, page.byteOffset);
});
