import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseRoute, type Route, routeHref } from "../../src/ui/lib/route.js";

test("hash routes name the views", () => {
  assert.deepEqual(parseRoute(""), { name: "home" });
  assert.deepEqual(parseRoute("#"), { name: "home" });
  assert.deepEqual(parseRoute("#/"), { name: "home" });
  assert.deepEqual(parseRoute("#/block/12"), { name: "block", index: 12 });
  assert.deepEqual(parseRoute("#/block/0/"), { name: "block", index: 0 });
  assert.deepEqual(parseRoute("#/chain"), { name: "chain", page: 1 });
  assert.deepEqual(parseRoute("#/chain/40"), { name: "chain", page: 40 });
  assert.deepEqual(parseRoute("#/pending"), { name: "pending" });
  assert.deepEqual(parseRoute("#/neighbours"), { name: "neighbours" });
  assert.deepEqual(parseRoute(`#/message/${"AB".repeat(16)}`), {
    name: "message",
    id: "ab".repeat(16),
  });
});

test("malformed routes are not-found, never a crash", () => {
  for (const hash of [
    "#/block/",
    "#/block/-1",
    "#/block/1.5",
    "#/block/abc",
    "#/chain/0",
    "#/message/xyz",
    "#/block/1/2",
    "#/%E0%A4%A",
    "#/nope",
  ]) {
    assert.equal(parseRoute(hash).name, "not-found", hash);
  }
});

test("every route survives a round trip through its href", () => {
  const routes = fc.oneof(
    fc.constant<Route>({ name: "home" }),
    fc.constant<Route>({ name: "pending" }),
    fc.constant<Route>({ name: "neighbours" }),
    fc.integer({ min: 1, max: 1e9 }).map<Route>((page) => ({ name: "chain", page })),
    fc.integer({ min: 0, max: 1e12 }).map<Route>((index) => ({ name: "block", index })),
    fc.stringMatching(/^[0-9a-f]{32}$/).map<Route>((id) => ({ name: "message", id })),
  );
  fc.assert(fc.property(routes, (route) => assert.deepEqual(parseRoute(routeHref(route)), route)));
});
