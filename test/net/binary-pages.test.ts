import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  BINARY_RECORDS_MEDIA_TYPE,
  DEFAULTS,
  JSON_LINES_RECORDS_MEDIA_TYPE,
} from "../../src/config/config.js";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { PeerClient } from "../../src/net/peer-client.js";
import { writeChainFile } from "../../src/storage/chain-store.js";
import { decodeBinaryRecords } from "../../src/storage/codecs/binary-codec.js";
import { buildChain } from "../helpers/chain-factory.js";
import { postJson, startTestMiner } from "../helpers/start-miner.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { PeerServer } from "./peer-server.js";

const D = 1;
const LONG = buildChain(2500, { difficulty: D, messages: ["hello", "grüße, 世界 🎉"] });

function client(): PeerClient {
  return new PeerClient(
    { self: "127.0.0.1:9", timeoutMs: 10_000, maxResponseBytes: DEFAULTS.peerMaxResponseBytes },
    { signal: new AbortController().signal, metrics: null },
  );
}

async function withNode(
  chain: readonly Block[],
  format: "json" | "binary",
  body: (url: string, address: string) => Promise<void>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await withTempDir(async (dir) => {
    const pathToChain = join(dir, `chain.${format}`);
    await writeChainFile(pathToChain, format, chain);
    const node = await startTestMiner({
      pathToChain,
      jsonFormat: format === "json",
      difficulty: D,
      mine: false,
      ...extra,
    });
    try {
      await body(node.url, `127.0.0.1:${node.miner.port}`);
    } finally {
      await node.stop();
    }
  });
}

for (const format of ["json", "binary"] as const) {
  test(`GET /blocks (a ${format} node): JSON by default, binary records when Accept asks for them`, async () => {
    await withNode(LONG, format, async (url) => {
      const plain = await fetch(`${url}/blocks?from=5&limit=3`);
      assert.match(plain.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(plain.headers.get("vary"), "Accept");
      const json = (await plain.json()) as { blocks: Block[]; length: number };
      assert.deepEqual(json, { blocks: LONG.slice(5, 8), length: LONG.length });

      const res = await fetch(`${url}/blocks?from=5&limit=2000`, {
        headers: { accept: `${BINARY_RECORDS_MEDIA_TYPE}, application/json;q=0.5` },
      });
      assert.equal(res.headers.get("content-type"), BINARY_RECORDS_MEDIA_TYPE);
      assert.equal(res.headers.get("x-chain-length"), String(LONG.length));
      // A binary page may be larger than a JSON one (at most 1000 blocks).
      assert.deepEqual(
        decodeBinaryRecords(Buffer.from(await res.arrayBuffer())),
        LONG.slice(5, 2005),
      );

      const refused = await fetch(`${url}/blocks?from=5&limit=3`, {
        headers: { accept: `${BINARY_RECORDS_MEDIA_TYPE};q=0, application/json` },
      });
      assert.match(refused.headers.get("content-type") ?? "", /^application\/json/);
      await refused.body?.cancel();
    });
  });
}

/** 700 blocks of 16,000-byte messages: 11 MB, more than a page of records may hold. */
const BIG = buildChain(700, { difficulty: D, messages: ["x".repeat(16_000)] });

test("a binary page is bounded in bytes: large messages give fewer blocks than asked, at least one", async () => {
  await withNode(BIG, "binary", async (url) => {
    const res = await fetch(`${url}/blocks?from=1&limit=700`, {
      headers: { accept: BINARY_RECORDS_MEDIA_TYPE },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const blocks = decodeBinaryRecords(bytes) as Block[];
    assert.ok(Array.isArray(blocks), String(blocks));
    assert.ok(blocks.length > 0 && blocks.length < 699, `${blocks.length} blocks`);
    assert.ok(bytes.length <= DEFAULTS.recordPageBytes, `${bytes.length} bytes`);
    assert.deepEqual(blocks, BIG.slice(1, 1 + blocks.length));
  });
});

test("a node syncs a chain of large messages in pages cut by bytes, in one round", async () => {
  await withNode(BIG, "binary", async (_url, source) => {
    await withTempDir(async (dir) => {
      // One round only (the one at start): pages of fewer blocks than asked, but full in
      // bytes, must not end it.
      const fresh = await startTestMiner({
        pathToChain: join(dir, "chain.json"),
        difficulty: D,
        mine: false,
        neighbours: [source],
      });
      try {
        await waitFor(() => fresh.miner.chainLength() === BIG.length, {
          timeoutMs: 60_000,
          what: "the fresh node to hold the whole chain",
        });
      } finally {
        await fresh.stop();
      }
    });
  });
});

test("GET /blocks in JSON Lines records: the lines a JSON chain file holds, from either kind of node", async () => {
  const lines = LONG.slice(5, 2005)
    .map((b) => `${encodeBlock(b)}\n`)
    .join("");
  for (const format of ["json", "binary"] as const) {
    await withNode(LONG, format, async (url) => {
      const res = await fetch(`${url}/blocks?from=5&limit=2000`, {
        headers: { accept: `${JSON_LINES_RECORDS_MEDIA_TYPE}, application/json;q=0.5` },
      });
      assert.equal(res.headers.get("content-type"), JSON_LINES_RECORDS_MEDIA_TYPE);
      assert.equal(res.headers.get("x-chain-length"), String(LONG.length));
      assert.equal(await res.text(), lines);
    });
  }
});

test("GET /blocks: the client's preferred record format; a tie goes to the one the node stores", async () => {
  const typeOf = async (url: string, accept: string) => {
    const res = await fetch(`${url}/blocks?from=1&limit=2`, { headers: { accept } });
    await res.arrayBuffer();
    return (res.headers.get("content-type") ?? "").split(";")[0];
  };
  const both = `${JSON_LINES_RECORDS_MEDIA_TYPE}, ${BINARY_RECORDS_MEDIA_TYPE}`;
  await withNode(LONG.slice(0, 10), "binary", async (url) => {
    assert.equal(await typeOf(url, both), BINARY_RECORDS_MEDIA_TYPE);
    assert.equal(
      await typeOf(url, `${JSON_LINES_RECORDS_MEDIA_TYPE}, ${BINARY_RECORDS_MEDIA_TYPE};q=0.9`),
      JSON_LINES_RECORDS_MEDIA_TYPE,
    );
    assert.equal(
      await typeOf(url, `${BINARY_RECORDS_MEDIA_TYPE};q=0.4, application/json`),
      "application/json",
    );
    assert.equal(await typeOf(url, "*/*"), "application/json");
  });
  await withNode(LONG.slice(0, 10), "json", async (url) => {
    assert.equal(await typeOf(url, both), JSON_LINES_RECORDS_MEDIA_TYPE);
  });
});

test("the peer client gets binary pages from a node that speaks them and JSON from one that does not", async () => {
  await withNode(LONG, "binary", async (_url, address) => {
    const page = await client().blocks(address, 0, 2400);
    assert.equal(page.length, LONG.length);
    assert.deepEqual(page.blocks, LONG.slice(0, 2400));
  });
  const jsonOnly = new PeerServer(LONG);
  const address = await jsonOnly.start();
  try {
    const page = await client().blocks(address, 0, 2400);
    assert.equal(page.length, LONG.length);
    assert.deepEqual(page.blocks, LONG.slice(0, page.blocks.length));
  } finally {
    await jsonOnly.stop();
  }
});

test("messages pending on a fresh node leave its pending set when a sync brings their blocks", async () => {
  const peer = new PeerServer(LONG.slice(0, 1));
  const address = await peer.start();
  try {
    await withTempDir(async (dir) => {
      const fresh = await startTestMiner({
        pathToChain: join(dir, "chain.json"),
        difficulty: D,
        mine: false,
        neighbours: [address],
        chainSyncIntervalS: 1,
      });
      try {
        const confirmed = [LONG[7], LONG[2400]].map((b) => (b as Block).data);
        const other = { id: "c".repeat(32), message: "still pending" };
        const added = await postJson(`${fresh.url}/data`, { data: [...confirmed, other] });
        assert.equal(added.status, 200);
        assert.equal(fresh.miner.pendingMessages().length, 3);
        peer.chain = LONG;
        await waitFor(() => fresh.miner.chainLength() === LONG.length, {
          timeoutMs: 60_000,
          what: "the fresh node to hold the whole chain",
        });
        assert.deepEqual(fresh.miner.pendingMessages(), [other]);
      } finally {
        await fresh.stop();
      }
    });
  } finally {
    await peer.stop();
  }
});

for (const source of ["binary", "json"] as const) {
  for (const target of ["json", "binary"] as const) {
    test(`a fresh ${target} node syncs a long chain from a ${source} neighbour through record pages`, async () => {
      await withNode(LONG, source, async (_url, address) => {
        await withTempDir(async (dir) => {
          const pathToChain = join(dir, `chain.${target}`);
          const fresh = await startTestMiner({
            pathToChain,
            jsonFormat: target === "json",
            difficulty: D,
            mine: false,
            neighbours: [address],
            chainSyncIntervalS: 1,
          });
          try {
            await waitFor(() => fresh.miner.chainLength() === LONG.length, {
              timeoutMs: 60_000,
              what: "the fresh node to hold the whole chain",
            });
            assert.deepEqual(fresh.miner.blocks(0, LONG.length), LONG);
          } finally {
            await fresh.stop();
          }
          // What it saved is its own format's file of the chain, as it would have written it.
          const expected = await withTempDir(async (other) => {
            const path = join(other, "expected");
            await writeChainFile(path, target, LONG);
            return readFile(path);
          });
          assert.ok((await readFile(pathToChain)).equals(expected), "the saved chain file");
        });
      });
    });
  }
}
