import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeChainFiles } from "../../bench/lib/large-chain-file.js";
import { SLICE_BLOCKS } from "../../src/net/chain-sync.js";
import { ChainStore } from "../../src/storage/chain-store.js";
import { getJson, metricOf, NodeProcess } from "../helpers/node-process.js";
import { startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

/*
 * A fresh node syncing a long chain saves what it brought as it goes, so the
 * records it holds unsaved stay bounded (BLOCKCHAIN_SYNC_SAVE_BYTES /
 * syncSaveBytes, small here), and a kill -9 in the middle of such a sync
 * leaves a chain file the node starts on again.
 */

/** Blocks of the peer's chain (genesis included): about 17 MB of JSON Lines. */
const LENGTH = 80_000;
/** The fresh nodes' save bound: the chain is about 65 times as large. */
const SAVE_BYTES = 256 * 1024;
const NODE_FLAGS = ["--difficulty", "1", "--no-mine", "--log-level", "error", "--workers", "1"];

let root = "";
let binaryPath = "";
/** The peer's chain as a JSON Lines file: what a fresh node must end up holding, byte for byte. */
let expected = Buffer.alloc(0);
/** Where each line of `expected` starts, and its end last. */
let lineStarts: number[] = [];
let source: TestMiner;

/**
 * The most bytes a sync may hold unsaved, measured after each slice it
 * adopts: twice the bound, or the bound and the save under way (a slice or
 * more), and the slice just adopted.
 */
function unsavedBound(): number {
  let longest = 0;
  for (let i = 1; i < lineStarts.length; i++) {
    longest = Math.max(longest, (lineStarts[i] as number) - (lineStarts[i - 1] as number));
  }
  return 2 * SAVE_BYTES + 2 * SLICE_BLOCKS * longest;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "bc-sync-saves-"));
  binaryPath = join(root, "source", "chain.bin");
  const jsonPath = join(root, "expected", "chain.json");
  await mkdir(join(root, "source"));
  await mkdir(join(root, "expected"));
  await writeChainFiles(LENGTH, { json: jsonPath, binary: binaryPath });
  expected = readFileSync(jsonPath);
  lineStarts = [0];
  for (let at = expected.indexOf(0x0a); at >= 0; at = expected.indexOf(0x0a, at + 1)) {
    lineStarts.push(at + 1);
  }
  assert.equal(lineStarts.length, LENGTH + 1);
  source = await startTestMiner(
    { pathToChain: binaryPath, jsonFormat: false, difficulty: 1, mine: false },
    join(root, "source"),
  );
});

after(async () => {
  await source?.stop();
  await rm(root, { recursive: true, force: true });
});

test("a long sync saves as it goes: the unsaved records stay bounded, and the file is the peer's chain", async () => {
  const dir = join(root, "fresh-bounded");
  const fresh = await startTestMiner(
    {
      difficulty: 1,
      mine: false,
      neighbours: [source.miner.address],
      syncSaveBytes: SAVE_BYTES,
    },
    dir,
  );
  const chainPath = fresh.chainPath;
  let stopped = false;
  try {
    await waitFor(() => fresh.miner.status().length === LENGTH, {
      timeoutMs: 120_000,
      what: `the fresh node to sync ${LENGTH} blocks`,
    });
    // The backup job's interval is an hour: every save so far was asked for by the sync.
    const onDisk = statSync(chainPath).size;
    const bound = unsavedBound();
    assert.ok(
      onDisk >= expected.length - bound,
      `the file held ${onDisk} of ${expected.length} bytes when the sync ended (at most ${bound} may be unsaved)`,
    );
    const saves = await metricOf(fresh.url, "blockchain_sync_saves_total");
    const high = await metricOf(fresh.url, "blockchain_sync_unsaved_high_bytes");
    assert.ok(saves >= 5, `the sync asked for ${saves} saves`);
    assert.ok(high > 0 && high <= bound, `the most unsaved bytes were ${high} (bound ${bound})`);
    await fresh.miner.stop();
    stopped = true;
    assert.ok(readFileSync(chainPath).equals(expected), "the saved file is the peer's chain");
    const reopened = await ChainStore.open(chainPath, { format: "json", difficulty: 1 });
    await reopened.store.close();
    assert.equal(reopened.trusted, true, "the .hash vouches for the file");
    assert.equal(reopened.loaded.records.length, LENGTH);
  } finally {
    if (!stopped) await fresh.miner.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * A proxy to the peer that passes GET /status and GET /blocks, but holds (never
 * answers) a page that would reach past block `stallAt`: the sync stops there,
 * in the middle, waiting, for as long as the test wants.
 */
async function stallingProxy(target: string, stallAt: number) {
  const held: ServerResponse[] = [];
  let heldFrom: (from: number) => void = () => undefined;
  const firstHeld = new Promise<number>((resolve) => {
    heldFrom = resolve;
  });
  const [host, port] = target.split(":") as [string, string];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const from = Number(url.searchParams.get("from") ?? 0);
    const limit = Number(url.searchParams.get("limit") ?? 0);
    if (req.method !== "GET" || (url.pathname !== "/status" && url.pathname !== "/blocks")) {
      res.writeHead(404).end();
      return;
    }
    if (url.pathname === "/blocks" && from + limit > stallAt) {
      held.push(res);
      heldFrom(from);
      return;
    }
    const upstream = request(
      { host, port: Number(port), method: "GET", path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    upstream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    address,
    firstHeld,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("a node killed -9 in the middle of a long sync, after saves, starts again on its file and syncs the rest", async () => {
  const dir = join(root, "fresh-killed");
  await mkdir(dir);
  const chainPath = join(dir, "chain.json");
  const proxy = await stallingProxy(source.miner.address, 30_000);
  const env = { BLOCKCHAIN_SYNC_SAVE_BYTES: String(SAVE_BYTES) };
  const nodes: NodeProcess[] = [];
  try {
    const fresh = await NodeProcess.start({
      chainPath,
      env,
      args: [...NODE_FLAGS, "--neighbours", proxy.address, "--chain-sync-interval", "3600"],
    });
    nodes.push(fresh);
    // The sync stops at the first page the proxy holds: every block before it is taken.
    const stalledAt = await proxy.firstHeld;
    assert.ok(stalledAt > 1 && stalledAt < LENGTH, `stalled at ${stalledAt}`);
    await waitFor(
      async () => (await getJson<{ length: number }>(`${fresh.url}/status`)).length === stalledAt,
      {
        timeoutMs: 60_000,
        what: `the fresh node to hold the ${stalledAt} blocks before the held page`,
      },
    );
    const bound = unsavedBound();
    const onDisk = statSync(chainPath).size;
    assert.ok(
      onDisk >= (lineStarts[stalledAt] as number) - bound && onDisk > (lineStarts[1] as number),
      `saved ${onDisk} bytes of the ${lineStarts[stalledAt]} synced so far`,
    );
    await fresh.kill();
    await proxy.close();

    const again = await NodeProcess.start({
      chainPath,
      env,
      startTimeoutMs: 60_000,
      args: [...NODE_FLAGS, "--neighbours", source.miner.address, "--chain-sync-interval", "3600"],
    });
    nodes.push(again);
    await waitFor(
      async () => (await getJson<{ length: number }>(`${again.url}/status`)).length === LENGTH,
      { timeoutMs: 120_000, what: `the restarted node to sync the rest of the ${LENGTH} blocks` },
    );
    assert.equal(await again.stop(), 0);
    assert.ok(readFileSync(chainPath).equals(expected), "the saved file is the peer's chain");
  } finally {
    await proxy.close().catch(() => undefined);
    for (const node of nodes) await node.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
