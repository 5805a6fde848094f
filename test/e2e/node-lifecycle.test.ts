import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { sha256Hex } from "../../src/core/hash.js";
import { validateChain } from "../../src/core/validate.js";
import { chainOf, getJson, NodeProcess, postJson } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

const dirs: string[] = [];
const nodes: NodeProcess[] = [];
after(async () => {
  for (const node of nodes) await node.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempChain(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bc-life-"));
  dirs.push(dir);
  return join(dir, "chain.json");
}

async function start(chainPath: string, args: string[]): Promise<NodeProcess> {
  const node = await NodeProcess.start({
    chainPath,
    args: ["--workers", "1", "--log-level", "warn", ...args],
  });
  nodes.push(node);
  return node;
}

test("SIGTERM saves the chain and the pending messages and exits 0; a restart brings both back", async () => {
  const chainPath = await tempChain();
  const miner = await start(chainPath, ["--difficulty", "2", "--backup-interval", "3600"]);
  for (let i = 0; i < 3; i++) await postJson(`${miner.url}/add`, { message: `mined ${i}` });
  await waitFor(
    async () => (await getJson<{ length: number }>(`${miner.url}/status`)).length === 4,
    { what: "3 mined blocks" },
  );
  const chainBefore = await chainOf(miner.url);
  assert.equal(await miner.stop(), 0);
  assert.equal(
    readFileSync(chainPath, "utf8").trim().split("\n").length,
    4,
    "the chain file holds every block",
  );
  assert.equal(
    readFileSync(join(chainPath, "..", "chain.hash"), "utf8").trim(),
    sha256Hex(readFileSync(chainPath)),
  );
  assert.ok(existsSync(join(chainPath, "..", "miner.log")));

  // A relay-only node keeps its pending messages across a restart.
  const relay = await start(chainPath, ["--difficulty", "2", "--no-mine"]);
  assert.deepEqual(await chainOf(relay.url), chainBefore);
  const pending = await postJson<{ id: string }>(`${relay.url}/add`, {
    message: "kept across restarts",
  });
  assert.equal(await relay.stop(), 0);
  const again = await start(chainPath, ["--difficulty", "2", "--no-mine"]);
  assert.deepEqual(await getJson(`${again.url}/data`), [
    { id: pending.body.id, message: "kept across restarts" },
  ]);
  assert.deepEqual(await chainOf(again.url), chainBefore);
  assert.equal(await again.stop(), 0);
});

test("kill -9 during a burst of /add loses no acknowledged message and duplicates none", async () => {
  const chainPath = await tempChain();
  // Mining and a short backup interval, so blocks, journal compaction and adds all race the kill.
  const node = await start(chainPath, ["--difficulty", "2", "--backup-interval", "0.2"]);
  const acked: string[] = [];
  let stop = false;
  const senders = Array.from({ length: 8 }, async (_, s) => {
    for (let i = 0; i < 400 && !stop; i++) {
      try {
        const { status, body } = await postJson<{ id: string }>(`${node.url}/add`, {
          message: `burst ${s}-${i}`,
        });
        if (status === 200) acked.push(body.id);
      } catch {
        return; // the node is gone
      }
    }
  });
  await waitFor(() => acked.length >= 150, {
    what: "150 acknowledged messages",
    timeoutMs: 30_000,
  });
  node.child.kill("SIGKILL");
  stop = true;
  await node.waitExit();
  await Promise.all(senders);

  const back = await start(chainPath, ["--difficulty", "2", "--no-mine"]);
  const chain = await chainOf(back.url);
  assert.deepEqual(validateChain(chain, { difficulty: 2 }), { ok: true });
  const pending = await getJson<{ id: string }[]>(`${back.url}/data`);
  const everywhere = [...chain.slice(1).map((b) => b.data.id), ...pending.map((d) => d.id)];
  assert.equal(
    new Set(everywhere).size,
    everywhere.length,
    "no message is both mined and pending, or mined twice",
  );
  const known = new Set(everywhere);
  const lost = acked.filter((id) => !known.has(id));
  assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged messages were lost`);
  assert.equal(await back.stop(), 0);
});

test("a chain file that cannot be loaded exits 1 with a message that says why and where", async () => {
  const chainPath = await tempChain();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(chainPath, "not json at all\n{}\n");
  await assert.rejects(
    start(chainPath, []),
    (err: Error) => /exited \(1\)/.test(err.message) && err.message.includes(chainPath),
  );
  assert.equal(
    readFileSync(chainPath, "utf8"),
    "not json at all\n{}\n",
    "the file is left as it was",
  );
});
