import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { startServer } from "../../src/api/server.js";
import { DEFAULTS } from "../../src/config/config.js";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { buildChain } from "../helpers/chain-factory.js";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

/** Big blocks: 16 KiB messages, half of them control characters that JSON writes as 6 bytes each. */
const BIG = buildChain(1001, {
  difficulty: 1,
  messages: ["a".repeat(16 * 1024), "\u0001".repeat(8 * 1024) + "b".repeat(8 * 1024)],
});

let source: TestMiner;
const started: TestMiner[] = [];
let dir = "";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "bc-bounds-"));
  const chainPath = join(dir, "source", "chain.json");
  await writeChainFile(chainPath, "json", BIG);
  source = await startTestMiner(
    { pathToChain: chainPath, difficulty: 1, mine: false },
    join(dir, "source"),
  );
  started.push(source);
});
after(async () => {
  for (const node of started.reverse()) await node.stop();
  await rm(dir, { recursive: true, force: true });
});

test("a /blocks page is cut to its byte limit (at least one block) and a follower pages on to the whole chain", async () => {
  const res = await fetch(`${source.url}/blocks?from=1&limit=1000`, {
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const page = JSON.parse(text) as { blocks: unknown[]; length: number };
  assert.equal(page.length, 1001);
  assert.ok(page.blocks.length >= 1 && page.blocks.length < 1000, `${page.blocks.length} blocks`);
  assert.ok(
    Buffer.byteLength(text) <= DEFAULTS.maxPageBytes + 200 * 1024,
    `${Buffer.byteLength(text)} bytes in a page`,
  );
  assert.deepEqual(page.blocks, BIG.slice(1, 1 + page.blocks.length));

  const follower = await startTestMiner({
    difficulty: 1,
    mine: false,
    neighbours: [source.miner.address],
    chainSyncIntervalS: 0.2,
  });
  started.push(follower);
  await waitFor(() => follower.miner.chain.length === 1001, {
    timeoutMs: 60_000,
    what: "the follower to sync all 1001 big blocks",
  });
});

test("/chain streams the whole chain, the same as the pages", async () => {
  const { status, body } = await http(`${source.url}/chain`);
  assert.equal(status, 200);
  assert.equal(body.length, 1001);
  assert.deepEqual(body.chain, BIG);
});

/** Sends a request on a raw socket and never reads the answer. */
function requestWithoutReading(url: string, path: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.pause();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

test("a client that does not read its answer is dropped once nothing moves", async () => {
  // A second server for the same node, with a short stall time-out (the default is 30 s).
  const server: FastifyInstance = await startServer(source.miner, {
    port: 0,
    stalledConnectionMs: 1_000,
  });
  const port = (server.server.address() as { port: number }).port;
  const sockets: Socket[] = [];
  try {
    for (const path of ["/blocks?from=1&limit=1000", "/chain"]) {
      sockets.push(await requestWithoutReading(`http://127.0.0.1:${port}`, path));
    }
    const connections = () =>
      new Promise<number>((resolve) => server.server.getConnections((_e, n) => resolve(n)));
    assert.equal(await connections(), 2);
    // Seen from the server: a paused client does not read the close either.
    await waitFor(async () => (await connections()) === 0, {
      timeoutMs: 15_000,
      what: "the server to close the connections whose client does not read",
    });
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
  }
});
