import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  PAGE_SIZE,
  pageCount,
  pageOfIndex,
  pagerItems,
  pageWindow,
} from "../../src/ui/lib/paging.js";

test("page 1 is the newest blocks: from = length - pageSize", () => {
  assert.deepEqual(pageWindow(100_000, 1, 25), { page: 1, from: 99_975, limit: 25, pages: 4000 });
  assert.deepEqual(pageWindow(10, 1, 25), { page: 1, from: 0, limit: 10, pages: 1 });
});

test("the last page holds the oldest blocks, genesis included, and may be short", () => {
  assert.deepEqual(pageWindow(60, 3, 25), { page: 3, from: 0, limit: 10, pages: 3 });
  assert.deepEqual(pageWindow(60, 2, 25), { page: 2, from: 10, limit: 25, pages: 3 });
});

test("pages outside the chain are clamped to the ones that exist", () => {
  assert.equal(pageWindow(60, 99, 25).page, 3);
  assert.equal(pageWindow(60, 0, 25).page, 1);
  assert.equal(pageWindow(60, -4, 25).page, 1);
  assert.deepEqual(pageWindow(0, 1, 25), { page: 1, from: 0, limit: 0, pages: 1 });
});

test("the pages cover every block exactly once, newest first", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 1, max: 100 }),
      (length, size) => {
        const seen: number[] = [];
        for (let p = 1; p <= pageCount(length, size); p++) {
          const w = pageWindow(length, p, size);
          assert.ok(w.limit <= size && w.limit > 0);
          for (let i = w.from + w.limit - 1; i >= w.from; i--) seen.push(i);
        }
        assert.deepEqual(
          seen,
          Array.from({ length }, (_, i) => length - 1 - i),
        );
      },
    ),
  );
});

test("a block's page is the page whose window holds it", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(), (length, seed) => {
      const index = seed % length;
      const w = pageWindow(length, pageOfIndex(length, index));
      assert.ok(index >= w.from && index < w.from + w.limit);
    }),
  );
  assert.equal(pageOfIndex(100, 99), 1);
  assert.equal(pageOfIndex(100, 0), Math.ceil(100 / PAGE_SIZE));
});

test("the pager shows first, last and the pages around the current one, with gaps", () => {
  assert.deepEqual(pagerItems(1, 1), [1]);
  assert.deepEqual(pagerItems(1, 4000), [1, 2, null, 4000]);
  assert.deepEqual(pagerItems(50, 4000), [1, null, 49, 50, 51, null, 4000]);
  assert.deepEqual(pagerItems(3, 10), [1, 2, 3, 4, null, 10]);
  assert.deepEqual(pagerItems(4, 6), [1, 2, 3, 4, 5, 6]);
});
