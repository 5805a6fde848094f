import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { addMessage, chainOf, freePort, getJson, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

const FAST = ["--difficulty", "2", "--workers", "1", "--log-level", "warn"];
const JOBS = ["--gossip-interval", "1", "--chain-sync-interval", "1", "--data-sync-interval", "1"];

interface Status {
  length: number;
  tip: string;
  pending: number;
}

const status = (node: NodeProcess) => getJson<Status>(`${node.url}/status`);

/**
 * Makes `node` learn `peer` as a neighbour, the way any peer's call does:
 * X-Blockchain-Node and X-Blockchain-Node-Id, which `node` checks against the
 * peer's own /status before it learns it.
 */
async function introduce(node: NodeProcess, peer: NodeProcess): Promise<void> {
  const { node_id } = await getJson<{ node_id: string }>(`${peer.url}/status`);
  const res = await fetch(`${node.url}/status`, {
    headers: { "x-blockchain-node": peer.address, "x-blockchain-node-id": node_id },
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
}

describe("a partition that heals", { timeout: 120_000 }, () => {
  const nodes: NodeProcess[] = [];
  before(async () => {
    const [a, b] = [await freePort(), await freePort()];
    nodes.push(
      await NodeProcess.start({
        port: a,
        args: [...FAST, ...JOBS, "--neighbours", `127.0.0.1:${b}`],
      }),
    );
    nodes.push(
      await NodeProcess.start({
        port: b,
        args: [...FAST, ...JOBS, "--neighbours", `127.0.0.1:${a}`],
      }),
    );
    nodes.push(await NodeProcess.start({ args: [...FAST, ...JOBS] }));
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("converges on the longer branch and mines every message of the shorter one again, once", async () => {
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const longer: string[] = [];
    const shorter: string[] = [];
    for (let i = 0; i < 4; i++)
      longer.push(await addMessage((i % 2 ? a : b).url, `group one ${i}`));
    for (let i = 0; i < 2; i++) shorter.push(await addMessage(c.url, `group two ${i}`));
    await waitFor(
      async () => {
        const [sa, sb, sc] = await Promise.all([status(a), status(b), status(c)]);
        return (
          sa.length === 5 &&
          sb.tip === sa.tip &&
          sa.pending === 0 &&
          sc.length === 3 &&
          sc.pending === 0
        );
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "each group to mine its messages apart" },
    );
    const shortBranch = await chainOf(c.url);
    assert.deepEqual(
      shortBranch
        .slice(1)
        .map((x) => x.data.id)
        .sort(),
      [...shorter].sort(),
    );

    await introduce(c, a);
    await introduce(a, c);
    const all = [...longer, ...shorter].sort();
    await waitFor(
      async () => {
        const statuses = await Promise.all(nodes.map(status));
        const [first] = statuses;
        return (
          statuses.every((s) => s.tip === first?.tip && s.pending === 0) &&
          first?.length === all.length + 1
        );
      },
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: "the three nodes to agree on one chain with all six messages",
      },
    );
    for (const node of nodes) {
      const chain = await chainOf(node.url);
      assert.deepEqual(
        chain
          .slice(1)
          .map((x) => x.data.id)
          .sort(),
        all,
        `${node.url} holds each message once`,
      );
      // The longer branch was kept: its blocks come first, unchanged.
      assert.deepEqual(new Set(chain.slice(1, 5).map((x) => x.data.id)), new Set(longer));
    }
  });
});
