import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { addMessage, chainOf, freePort, getJson, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

const FAST = ["--difficulty", "2", "--workers", "1", "--log-level", "warn"];
const JOBS = ["--gossip-interval", "1", "--chain-sync-interval", "1", "--data-sync-interval", "1"];

describe("three miners in a ring", { timeout: 90_000 }, () => {
  const nodes: NodeProcess[] = [];
  before(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      const next = ports[(i + 1) % ports.length];
      nodes.push(
        await NodeProcess.start({
          port,
          args: [...FAST, ...JOBS, "--neighbours", `127.0.0.1:${next}`],
        }),
      );
    }
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("mines messages submitted at different nodes into one agreed chain, each exactly once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const node = nodes[i % nodes.length] as NodeProcess;
      ids.push(await addMessage(node.url, `ring message ${i}`));
    }
    const agreed = await waitFor(
      async () => {
        const statuses = await Promise.all(
          nodes.map((n) =>
            getJson<{ length: number; tip: string; pending: number }>(`${n.url}/status`),
          ),
        );
        const [first] = statuses;
        const same = statuses.every(
          (s) => s.tip === first?.tip && s.length === first?.length && s.pending === 0,
        );
        return same && first?.length === ids.length + 1 ? first : null;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: "all three nodes to agree on a chain holding every message",
      },
    );
    assert.equal(agreed.length, 10);
    for (const node of nodes) {
      const chain = await chainOf(node.url);
      const mined = chain.slice(1).map((b) => b.data.id);
      assert.deepEqual(
        [...mined].sort(),
        [...ids].sort(),
        `${node.url} holds each message exactly once`,
      );
    }
  });

  it("every node knows the two others", async () => {
    await waitFor(
      async () => {
        const lists = await Promise.all(
          nodes.map((n) => getJson<{ neighbours: string[] }>(`${n.url}/neighbours`)),
        );
        return lists.every((l, i) =>
          nodes.every((other, j) => i === j || l.neighbours.includes(other.address)),
        );
      },
      { timeoutMs: 20_000, intervalMs: 200, what: "each node to list the two others" },
    );
  });
});
