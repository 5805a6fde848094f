import assert from "node:assert/strict";
import { test } from "node:test";
import { blockIntervals, sparkline } from "../../src/ui/lib/intervals.js";
import type { Block } from "../../src/ui/lib/wire.js";

function block(index: number, timestamp: number): Block {
  return {
    index,
    timestamp,
    data: { id: String(index).padStart(32, "0"), message: "m" },
    previous_hash: index === 0 ? null : "0".repeat(64),
    proof: index === 0 ? null : 1,
  };
}

test("intervals are between consecutive blocks, oldest first, whatever the input order; genesis is left out", () => {
  const blocks = [block(3, 4000), block(0, 0), block(1, 1000), block(2, 1500)];
  assert.deepEqual(blockIntervals(blocks), [500, 2500]);
});

test("a gap in the indexes yields no interval across it", () => {
  assert.deepEqual(
    blockIntervals([block(1, 0), block(2, 10), block(5, 100), block(6, 130)]),
    [10, 30],
  );
});

test("the sparkline spans the box, the longest interval at the top, and reports the median", () => {
  const g = sparkline([10, 20, 40], 100, 50, 0);
  assert.ok(g);
  assert.equal(g.points, "0,37.5 50,25 100,0");
  assert.equal(g.max, 40);
  assert.equal(g.median, 20);
  assert.equal(g.area, "0,50 0,37.5 50,25 100,0 100,50");
  assert.equal(sparkline([], 100, 50), null);
  assert.equal(sparkline([1, 3], 10, 10)?.median, 2);
  assert.equal(sparkline([0, 0], 10, 10)?.points, "2,8 8,8");
});

test("an outlier (an idle node's long wait) is capped so the other intervals keep their shape", () => {
  const g = sparkline([10, 20, 10, 20, 10_000], 100, 50, 0);
  assert.ok(g);
  assert.equal(g.clipped, true);
  assert.equal(g.top, 80);
  assert.equal(g.max, 10_000);
  assert.equal(g.points, "0,43.8 25,37.5 50,43.8 75,37.5 100,0");
  assert.equal(sparkline([10, 20, 40], 100, 50)?.clipped, false);
});
