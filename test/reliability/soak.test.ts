import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { validateChain } from "../../src/core/validate.js";
import {
  chainOf,
  freePort,
  getJson,
  metricOf,
  NodeProcess,
  postJson,
} from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

// Long runs, only with BLOCKCHAIN_SOAK=1; BLOCKCHAIN_SOAK_MINUTES sets their length (default 3).
const SKIP =
  process.env.BLOCKCHAIN_SOAK === "1" ? false : "set BLOCKCHAIN_SOAK=1 to run the soak tests";
const MINUTES = Number(process.env.BLOCKCHAIN_SOAK_MINUTES ?? 3);
const D = 3;

const running: NodeProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const node of running) await node.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Slot {
  port: number;
  chainPath: string;
  node: NodeProcess | null;
}

async function startSlot(slot: Slot, neighbour: number): Promise<NodeProcess> {
  const node = await NodeProcess.start({
    chainPath: slot.chainPath,
    port: slot.port,
    args: [
      ...["--difficulty", String(D), "--workers", "1", "--log-level", "warn"],
      ...["--neighbours", `127.0.0.1:${neighbour}`],
      ...["--gossip-interval", "1", "--chain-sync-interval", "1", "--data-sync-interval", "0.5"],
      ...["--backup-interval", "0.5"],
    ],
  });
  running.push(node);
  slot.node = node;
  return node;
}

test("a ring of 3 miners under a steady stream of messages, one killed -9 and restarted again and again, loses no acknowledged message and agrees on one chain", {
  skip: SKIP,
  timeout: (MINUTES + 5) * 60_000,
}, async () => {
  const slots: Slot[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = await mkdtemp(join(tmpdir(), "bc-soak-"));
    dirs.push(dir);
    slots.push({ port: await freePort(), chainPath: join(dir, "chain.json"), node: null });
  }
  const neighbourOf = (i: number) => (slots[(i + 1) % 3] as Slot).port;
  for (const [i, slot] of slots.entries()) await startSlot(slot, neighbourOf(i));

  const acked = new Set<string>();
  const deadline = Date.now() + MINUTES * 60_000;
  let kills = 0;
  let nextKill = Date.now() + 20_000;
  for (let round = 0; Date.now() < deadline && round < 100_000; round++) {
    const live = slots.filter((s) => s.node?.running);
    const target = live[round % live.length] as Slot;
    try {
      const { status, body } = await postJson<{ id: string }>(`${target.node?.url}/add`, {
        message: `soak ${round}`,
      });
      if (status === 200) acked.add(body.id);
    } catch {
      // The node was just killed: the message was not acknowledged.
    }
    if (Date.now() >= nextKill) {
      const victim = slots[kills % 3] as Slot;
      victim.node?.child.kill("SIGKILL");
      await victim.node?.waitExit();
      await startSlot(victim, neighbourOf(kills % 3));
      kills++;
      nextKill = Date.now() + 20_000;
    }
    await delay(50); // a steady, bounded rate (~20 messages a second)
  }

  const urls = slots.map((s) => s.node?.url as string);
  const converged = Date.now();
  await waitFor(
    async () => {
      const statuses = await Promise.all(
        urls.map((u) => getJson<{ tip: string; pending: number }>(`${u}/status`)),
      );
      return statuses.every((s) => s.tip === statuses[0]?.tip && s.pending === 0);
    },
    { timeoutMs: 180_000, intervalMs: 500, what: "all nodes on one tip with nothing pending" },
  );
  const chain = await chainOf(urls[0] as string);
  assert.deepEqual(validateChain(chain, { difficulty: D }), { ok: true });
  const ids = chain.slice(1).map((b) => b.data.id);
  assert.equal(new Set(ids).size, ids.length, "no message is mined twice");
  const inChain = new Set(ids);
  const lost = [...acked].filter((id) => !inChain.has(id));
  assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged messages were lost`);
  console.log(
    `soak: ${acked.size} messages acknowledged, ${kills} kills, converged ${Date.now() - converged} ms after the stream stopped, chain of ${chain.length} blocks`,
  );
});

test("a node keeps serving under a flood of bad input, and its memory stays bounded", {
  skip: SKIP,
  timeout: (MINUTES + 3) * 60_000,
}, async () => {
  const node = await NodeProcess.start({
    args: ["--difficulty", "2", "--workers", "1", "--log-level", "error"],
  });
  running.push(node);
  const rssStart = await metricOf(node.url, "process_resident_memory_bytes");
  const bad: (() => Promise<Response>)[] = [
    () =>
      fetch(`${node.url}/add`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{nope",
      }),
    () =>
      fetch(`${node.url}/add`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "x".repeat(20_000) }),
      }),
    () =>
      fetch(`${node.url}/data`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: "x".repeat(9 * 1024 * 1024) }),
      }),
    () =>
      fetch(`${node.url}/blocks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ blocks: [{ index: 1, junk: true }] }),
      }),
    () =>
      fetch(`${node.url}/data`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: [{ id: 1, message: [] }] }),
      }),
    () => fetch(`${node.url}/no/such/${"p".repeat(2000)}`),
    () => fetch(`${node.url}/blocks?from=${"9".repeat(400)}`),
    () => fetch(`${node.url}/add?message=`, { method: "PUT" }),
  ];
  const goodIds: string[] = [];
  const deadline = Date.now() + Math.max(30_000, MINUTES * 20_000);
  let requests = 0;
  const workers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; Date.now() < deadline && i < 1_000_000; i++) {
      if (i % 50 === 0 && w === 0) {
        const { status, body } = await postJson<{ id: string }>(`${node.url}/add`, {
          message: `good ${i}`,
        });
        assert.equal(status, 200);
        goodIds.push(body.id);
        continue;
      }
      const send = bad[(i + w) % bad.length] as () => Promise<Response>;
      let response: Response;
      try {
        response = await send();
      } catch (err) {
        // A body over the limit is refused (413) before it is all sent: the client may see the cut first.
        assert.match(String((err as { cause?: unknown }).cause), /EPIPE|ECONNRESET/);
        continue;
      }
      const body = (await response.json()) as { message?: unknown };
      requests++;
      assert.ok(
        response.status >= 400 && response.status < 500,
        `status ${response.status} for bad input`,
      );
      assert.equal(typeof body.message, "string");
    }
  });
  await Promise.all(workers);
  await waitFor(
    async () => (await getJson<{ pending: number }>(`${node.url}/status`)).pending === 0,
    { timeoutMs: 60_000, what: "the good messages to be mined" },
  );
  const mined = new Set((await chainOf(node.url)).map((b) => b.data.id));
  assert.deepEqual(
    goodIds.filter((id) => !mined.has(id)),
    [],
  );
  const rssEnd = await metricOf(node.url, "process_resident_memory_bytes");
  console.log(
    `flood: ${requests} bad requests, ${goodIds.length} good messages mined, RSS ${(rssStart / 2 ** 20).toFixed(0)} -> ${(rssEnd / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.ok(rssEnd < rssStart * 3, `RSS grew from ${rssStart} to ${rssEnd} bytes`);
  assert.equal(await node.stop(), 0);
});
