import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChainState } from "../../src/chain/chain-state.js";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { findForkPoint } from "../../src/net/fork-point.js";
import { PeerClient } from "../../src/net/peer-client.js";
import type { RecordPage } from "../../src/storage/codecs/record-page.js";
import { branch, longChain } from "./net-fixture.js";
import { PeerServer } from "./peer-server.js";

/** The blocks of a page, decoded. */
function blocksOf(page: RecordPage | null): Block[] {
  return Array.from({ length: page?.count ?? 0 }, (_, i) => page?.blockAt(i) as Block);
}

describe("the fork-point search against a peer serving a chain", () => {
  const base = longChain(1200);
  const peer = new PeerServer(base);
  let address = "";
  const client = new PeerClient(
    { self: "127.0.0.1:9", timeoutMs: 2000, maxResponseBytes: 16 * 1024 * 1024 },
    { signal: new AbortController().signal, metrics: null },
  );
  const fetchBlocks = async (from: number, limit: number) =>
    (await client.recordPage(address, from, limit, "json")).page;
  before(async () => {
    address = await peer.start();
  });
  after(() => peer.stop());

  async function search(ours: Block[], theirs: Block[]) {
    peer.chain = theirs;
    peer.requests.length = 0;
    const found = await findForkPoint(new ChainState(ours, { difficulty: 1 }), fetchBlocks, 100);
    return { ...found, requests: peer.requests.length };
  }

  it("a fast-forward costs one request, and the rest of that page is useful", async () => {
    const found = await search(base.slice(0, 500), base);
    assert.equal(found.fork, 499);
    assert.equal(found.requests, 1);
    assert.deepEqual(
      blocksOf(found.blocks).map((b) => b.index),
      Array.from({ length: 99 }, (_, i) => 500 + i),
    );
  });

  it("a tip replaced by the peer costs one request too", async () => {
    const theirs = branch(base.slice(0, 500), 498, 3, "b");
    const found = await search(base.slice(0, 500), theirs);
    assert.equal(found.fork, 498);
    assert.equal(found.requests, 1);
    assert.equal(blocksOf(found.blocks)[0]?.index, 499);
  });

  it("a deep fork is found in a logarithmic number of requests", async () => {
    const theirs = branch(base, 300, 1000, "c");
    const found = await search(base.slice(0, 1100), theirs);
    assert.equal(found.fork, 300);
    assert.ok(found.requests <= 22, `${found.requests} requests`);
    assert.equal(found.blocks, null);
    assert.equal(blocksOf(found.ahead)[0]?.index, 1099, "the first page is kept for later");
  });

  it("finds every fork point exactly", async () => {
    const ours = base.slice(0, 70);
    for (let forkAt = 0; forkAt < 69; forkAt++) {
      const theirs = branch(base, forkAt, 80 - forkAt, `f${forkAt}`);
      const found = await search(ours, theirs);
      assert.equal(found.fork, forkAt, `fork at ${forkAt}`);
      assert.equal(hashBlock(theirs[found.fork] as Block), hashBlock(ours[found.fork] as Block));
      assert.ok(
        found.requests <= 2 + 2 * Math.ceil(Math.log2(70)),
        `fork at ${forkAt}: ${found.requests} requests`,
      );
    }
  });
});
