// The explorer keeps its own copy of the wire types (src/core pulls in Node APIs the
// browser bundle cannot take); this file fails to type-check when the copies drift.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DataLookup as ApiLookup, NodeStatus as ApiStatus } from "../../src/api/node-api.js";
import type { Block as CoreBlock } from "../../src/core/block.js";
import type { Block, DataLookup, NodeStatus } from "../../src/ui/lib/wire.js";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

test("the explorer's wire types are the node's", () => {
  const checks: [Same<Block, CoreBlock>, Same<NodeStatus, ApiStatus>, Same<DataLookup, ApiLookup>] =
    [true, true, true];
  assert.deepEqual(checks, [true, true, true]);
});
