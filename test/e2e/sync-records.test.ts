import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { encodeBlock } from "../../src/core/encoding.js";
import { writeChainFile } from "../../src/storage/chain-store.js";
import { buildChain } from "../helpers/chain-factory.js";
import { getJson, NodeProcess } from "../helpers/node-process.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

// Sync between two node processes through pages of records, with the record
// check in TypeScript (BLOCKCHAIN_NATIVE=0: the fallback of a machine without
// the native addon) and with the default engine.

const D = 1;
const CHAIN = buildChain(12_000, { difficulty: D, messages: ["hello", "grüße, 世界 🎉", "a\tb"] });
const COMMON = ["--difficulty", String(D), "--no-mine", "--workers", "1", "--log-level", "warn"];

for (const native of ["0", undefined]) {
  test(`a fresh node syncs from a binary neighbour (BLOCKCHAIN_NATIVE=${native ?? "unset"})`, async () => {
    await withTempDir(async (dir) => {
      const sourcePath = join(dir, "source", "chain.dat");
      await writeChainFile(sourcePath, "binary", CHAIN);
      const nodes: NodeProcess[] = [];
      try {
        const source = await NodeProcess.start({
          chainPath: sourcePath,
          args: [...COMMON, "--chain-serialization", "binary"],
        });
        nodes.push(source);
        const freshPath = join(dir, "fresh", "chain.json");
        const fresh = await NodeProcess.start({
          chainPath: freshPath,
          args: [...COMMON, "--neighbours", source.address, "--chain-sync-interval", "1"],
          env: native === undefined ? {} : { BLOCKCHAIN_NATIVE: native },
        });
        nodes.push(fresh);
        await waitFor(
          async () =>
            (await getJson<{ length: number }>(`${fresh.url}/status`)).length === CHAIN.length,
          { timeoutMs: 60_000, what: "the fresh node to hold the whole chain" },
        );
        const status = await getJson<{ tip: string; miner_engine: string }>(`${fresh.url}/status`);
        assert.equal(status.tip, (await getJson<{ tip: string }>(`${source.url}/status`)).tip);
        if (native === "0") assert.equal(status.miner_engine, "js");
        assert.equal(await fresh.stop(), 0);
        const lines = CHAIN.map((b) => `${encodeBlock(b)}\n`).join("");
        assert.equal(await readFile(freshPath, "utf8"), lines);
      } finally {
        await Promise.all(nodes.map((node) => node.stop()));
      }
    });
  });
}
