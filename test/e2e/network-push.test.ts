import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { addMessage, freePort, getJson, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

// Every periodic job an hour apart: only push can move blocks and messages in time.
const SLOW_JOBS = [
  "--gossip-interval",
  "3600",
  "--chain-sync-interval",
  "3600",
  "--data-sync-interval",
  "3600",
];
const FAST = ["--difficulty", "2", "--workers", "1", "--log-level", "warn"];

interface Status {
  length: number;
  tip: string;
  pending: number;
}

describe("push propagation", { timeout: 60_000 }, () => {
  const nodes: NodeProcess[] = [];
  before(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      const next = ports[(i + 1) % ports.length];
      const mine = i === 0 ? [] : ["--no-mine"];
      nodes.push(
        await NodeProcess.start({
          port,
          args: [...FAST, ...SLOW_JOBS, ...mine, "--neighbours", `127.0.0.1:${next}`],
        }),
      );
    }
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("a block mined on one node reaches the others long before the next chain sync", async () => {
    const [miner] = nodes as [NodeProcess];
    const before = await getJson<Status>(`${miner.url}/status`);
    await addMessage(miner.url, "pushed block");
    const started = Date.now();
    const tips = await waitFor(
      async () => {
        const statuses = await Promise.all(nodes.map((n) => getJson<Status>(`${n.url}/status`)));
        return statuses.every((s) => s.length === before.length + 1 && s.tip === statuses[0]?.tip)
          ? statuses
          : null;
      },
      { timeoutMs: 15_000, intervalMs: 20, what: "the mined block on every node" },
    );
    assert.equal(tips.length, 3);
    assert.ok(Date.now() - started < 15_000);
  });

  it("a message submitted at a node that does not mine is pushed on, mined and pushed back", async () => {
    const [miner, relay, last] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const length = (await getJson<Status>(`${miner.url}/status`)).length;
    const id = await addMessage(last.url, "pushed message");
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          [miner, relay, last].map((n) => getJson<Status>(`${n.url}/status`)),
        );
        return statuses.every((s) => s.length === length + 1 && s.pending === 0);
      },
      { timeoutMs: 15_000, intervalMs: 20, what: "the message mined and on every node" },
    );
    const found = await getJson<{ status: string }>(`${relay.url}/data/${id}`);
    assert.equal(found.status, "confirmed");
  });
});
