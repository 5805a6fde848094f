import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { ORIGINAL_PROOF_RULE } from "../../src/core/pow.js";
import { CONTENT_PROOF_RULE } from "../../src/core/proof-rules.js";
import { validateChain } from "../../src/core/validate.js";
import { addMessage, chainOf, freePort, getJson, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

const JOBS = ["--gossip-interval", "1", "--chain-sync-interval", "1", "--data-sync-interval", "1"];

interface Status {
  length: number;
  tip: string;
  pending: number;
  proof_rule: string;
  neighbours: string[];
}

describe("three miners in a ring under the content rule", { timeout: 90_000 }, () => {
  const nodes: NodeProcess[] = [];
  const flags = ["--difficulty", "2", "--workers", "1", "--log-level", "warn"];
  before(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      const next = ports[(i + 1) % ports.length];
      const args = [
        ...flags,
        ...JOBS,
        "--proof-rule",
        "content",
        "--neighbours",
        `127.0.0.1:${next}`,
      ];
      nodes.push(await NodeProcess.start({ port, args }));
    }
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("mines every message once into one agreed chain whose blocks' own hashes meet the difficulty", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      ids.push(await addMessage((nodes[i % nodes.length] as NodeProcess).url, `content ${i}`));
    }
    const agreed = await waitFor(
      async () => {
        const statuses = await Promise.all(nodes.map((n) => getJson<Status>(`${n.url}/status`)));
        const [first] = statuses;
        const same = statuses.every(
          (s) => s.tip === first?.tip && s.length === first?.length && s.pending === 0,
        );
        return same && first?.length === ids.length + 1 ? statuses : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "the ring to agree on a chain of every message" },
    );
    for (const status of agreed) assert.equal(status.proof_rule, "content");
    for (const node of nodes) {
      const chain = (await chainOf(node.url)) as Block[];
      assert.deepEqual(validateChain(chain, { difficulty: 2, rule: CONTENT_PROOF_RULE }), {
        ok: true,
      });
      for (const block of chain.slice(1)) assert.ok(hashBlock(block).endsWith("00"));
      const mined = chain.slice(1).map((b) => b.data.id);
      assert.deepEqual([...mined].sort(), [...ids].sort(), `${node.url} holds each message once`);
    }
  });
});

describe("a mixed pair: an original node and a content node", { timeout: 90_000 }, () => {
  let original: NodeProcess;
  let content: NodeProcess;
  const flags = ["--difficulty", "3", "--workers", "1", "--log-level", "info"];
  before(async () => {
    const [a, b] = [await freePort(), await freePort()];
    const args = (rule: string, peer: number) => [
      ...flags,
      ...JOBS,
      "--proof-rule",
      rule,
      "--neighbours",
      `127.0.0.1:${peer}`,
    ];
    original = await NodeProcess.start({ port: a, args: args("original", b) });
    content = await NodeProcess.start({ port: b, args: args("content", a) });
  });
  after(async () => {
    await Promise.all([original?.stop(), content?.stop()]);
  });

  it("never mixes chains: each keeps its rule, drops the other as a neighbour, bans no one", async () => {
    for (let i = 0; i < 3; i++) {
      await addMessage(original.url, `original ${i}`);
      await addMessage(content.url, `content ${i}`);
    }
    // Both mine what they hold and neither keeps the other as a neighbour.
    await waitFor(
      async () => {
        const [o, c] = await Promise.all([
          getJson<Status>(`${original.url}/status`),
          getJson<Status>(`${content.url}/status`),
        ]);
        return (
          o.pending === 0 &&
          c.pending === 0 &&
          o.length >= 4 &&
          c.length >= 4 &&
          o.neighbours.length === 0 &&
          c.neighbours.length === 0
        );
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "both nodes to mine and drop each other" },
    );
    // A few more rounds of every job, then the chains are compared.
    const reached = await getJson<Status>(`${original.url}/status`);
    await addMessage(original.url, "one more original");
    await addMessage(content.url, "one more content");
    await waitFor(
      async () => (await getJson<Status>(`${original.url}/status`)).length > reached.length,
      { timeoutMs: 30_000, what: "the original node to mine again" },
    );
    const originalChain = (await chainOf(original.url)) as Block[];
    const contentChain = (await chainOf(content.url)) as Block[];
    assert.deepEqual(validateChain(originalChain, { difficulty: 3, rule: ORIGINAL_PROOF_RULE }), {
      ok: true,
    });
    assert.deepEqual(validateChain(contentChain, { difficulty: 3, rule: CONTENT_PROOF_RULE }), {
      ok: true,
    });
    const originalHashes = new Set(originalChain.slice(1).map(hashBlock));
    for (const block of contentChain.slice(1)) {
      assert.ok(!originalHashes.has(hashBlock(block)), `block ${block.index} is in both chains`);
    }
    for (const [node, otherRule] of [
      [original, "content"],
      [content, "original"],
    ] as const) {
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      assert.doesNotMatch(metrics, /blockchain_peer_requests_total\{outcome="banned"\} [1-9]/);
      const lines = node.output().split("\n");
      const told = lines.filter((l) => l.includes(`follows the '${otherRule}' proof rule`));
      assert.equal(told.length, 1, `one log line on ${node.url}:\n${node.output()}`);
    }
  });
});
