import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadNativeScanner } from "../../src/mining/native-scanner.js";
import { NodeProcess } from "../helpers/node-process.js";
import { http } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

/** The value of blockchain_hashes_total in a /metrics text. */
async function hashesTotal(url: string): Promise<number> {
  const { body } = await http(`${url}/metrics`);
  const match = /^blockchain_hashes_total (\S+)$/m.exec(body as string);
  assert.ok(match, "blockchain_hashes_total is missing from /metrics");
  return Number(match[1]);
}

const nativeBuilt = loadNativeScanner("1").scanner !== null;
const CASES = [
  { setting: "0", engine: /^js$/, skip: false },
  { setting: "portable", engine: /^native-portable$/, skip: !nativeBuilt && "no native core" },
  { setting: "1", engine: /^native-(sha-ni|portable)$/, skip: !nativeBuilt && "no native core" },
] as const;

for (const { setting, engine, skip } of CASES) {
  describe(`a node with BLOCKCHAIN_NATIVE=${setting}`, { skip }, () => {
    it("says which engine mines, and counts hashes live during a long search", async () => {
      // Difficulty 12 (48 zero bits) is never reached here: the search runs until the node stops.
      const node = await NodeProcess.start({
        args: ["--difficulty", "12", "--workers", "1", "--log-level", "info"],
        env: { BLOCKCHAIN_NATIVE: setting },
      });
      try {
        const status = (await http(`${node.url}/status`)).body;
        assert.match(status.miner_engine, engine);
        await waitFor(() => node.output().includes(`proof search engine: ${status.miner_engine}`), {
          what: "the start-up log line naming the engine",
        });
        await http(`${node.url}/add`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: "a search that lasts" }),
        });
        const first = await waitFor(async () => await hashesTotal(node.url), {
          what: "blockchain_hashes_total above 0",
        });
        await waitFor(async () => (await hashesTotal(node.url)) > first, {
          what: "blockchain_hashes_total to grow",
        });
        const live = (await http(`${node.url}/status`)).body;
        assert.equal(live.mining, true, "the search must still be running");
        assert.equal(live.length, 1, "no block was mined: the counter moved during the search");
        assert.ok(live.hashrate > 0, "the hashrate is live during the search");
      } finally {
        await node.stop();
      }
    });
  });
}
