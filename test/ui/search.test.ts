import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveSearch } from "../../src/ui/lib/search.js";

const TIP = "ab".repeat(32);

test("digits find a block by index, with or without # or 'block'", () => {
  assert.deepEqual(resolveSearch("12", 100), { ok: true, route: { name: "block", index: 12 } });
  assert.deepEqual(resolveSearch(" #7 ", 100), { ok: true, route: { name: "block", index: 7 } });
  assert.deepEqual(resolveSearch("Block 0", 100), { ok: true, route: { name: "block", index: 0 } });
});

test("an index past the tip says how long the chain is", () => {
  const result = resolveSearch("100", 100);
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.reason : "", /0 to 99/);
});

test("32 hex characters find a message, also written as a dashed UUID or in capitals", () => {
  const id = "0123456789abcdef0123456789abcdef";
  assert.deepEqual(resolveSearch(id, 1), { ok: true, route: { name: "message", id } });
  assert.deepEqual(resolveSearch("01234567-89AB-CDEF-0123-456789ABCDEF", 1), {
    ok: true,
    route: { name: "message", id },
  });
});

test("the tip's hash finds the tip; other hashes explain the API's limit", () => {
  assert.deepEqual(resolveSearch(TIP, 50, TIP), { ok: true, route: { name: "block", index: 49 } });
  const other = resolveSearch("cd".repeat(32), 50, TIP);
  assert.equal(other.ok, false);
});

test("empty and unrecognised queries are refused with a reason", () => {
  assert.equal(resolveSearch("   ", 10).ok, false);
  assert.equal(resolveSearch("hello", 10).ok, false);
});
