import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startDevnet, stopDevnet } from "./lib/devnet.js";
import { type Access, followEvents, jsonOf } from "./lib/node-http.js";
import { recordResults } from "./lib/results.js";

/*
 * Block propagation in a devnet: starts `blockchain devnet` with 5 and then 10
 * nodes, listens to every node's SSE `block` events, submits messages one at a
 * time at random nodes, and measures for each block of the final chain the
 * time from its first arrival anywhere (the miner's own event) to the moment
 * the last node has it. Prints p50/p95/max per network size. Keys:
 * propagation_p50_ms, propagation_p95_ms (5 nodes), propagation10_p50_ms,
 * propagation10_p95_ms (10 nodes).
 */

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 30);
const DIFFICULTY = Number(process.env.BENCH_DIFFICULTY ?? 4);

/** Records when each block hash reached each node, from the nodes' SSE streams. */
class Arrivals {
  readonly times = new Map<string, number[]>();
  private readonly abort = new AbortController();

  async listen(url: string, access: Access): Promise<void> {
    await followEvents(url, access, this.abort.signal, (text) =>
      this.onEvent(text, performance.now()),
    );
  }

  private onEvent(text: string, at: number): void {
    // An event may start with its `id:` line (the node's event ring), then `event:`.
    if (!text.split("\n").includes("event: block")) return;
    const data = text.slice(text.indexOf("data: ") + 6);
    const block = JSON.parse(data) as {
      index: number;
      data: { id: string };
      proof: number;
      timestamp: number;
    };
    const key = `${block.index}:${block.data.id}:${block.proof}:${block.timestamp}`;
    const list = this.times.get(key) ?? [];
    list.push(at);
    this.times.set(key, list);
  }

  stop(): void {
    this.abort.abort();
  }
}

async function waitUntil(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

async function measure(nodes: number, privateTls = false): Promise<{ p50: number; p95: number }> {
  const dir = await mkdtemp(join(tmpdir(), "bc-bench-prop-"));
  const devnet = await startDevnet(
    nodes,
    dir,
    DIFFICULTY,
    privateTls ? ["--private", "--tls"] : [],
  ).catch(async (err: unknown) => {
    // Its nodes are stopped by startDevnet; their folders go here.
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const access: Access = {};
  if (privateTls) {
    access.ca = readFileSync(join(dir, "private", "tls", "ca.pem"));
    access.token = /writer token: (\S+)/.exec(devnet.output)?.[1] ?? "";
  }
  const json = <T>(url: string, init?: { method?: string; body?: string }) =>
    jsonOf<T>(url, access, init);
  const arrivals = new Arrivals();
  try {
    for (const url of devnet.urls) await arrivals.listen(url, access);
    for (let i = 0; i < MESSAGES; i++) {
      const url = devnet.urls[Math.floor(Math.random() * devnet.urls.length)] as string;
      const { length } = await json<{ length: number }>(`${url}/status`);
      await json(`${url}/add`, {
        method: "POST",
        body: JSON.stringify({ message: `bench ${i}` }),
      });
      await waitUntil(
        async () => {
          const statuses = await Promise.all(
            devnet.urls.map((u) => json<{ length: number; tip: string }>(`${u}/status`)),
          );
          return statuses.every((s) => s.length > length && s.tip === statuses[0]?.tip);
        },
        60_000,
        `message ${i} on every node`,
      );
    }
    const final = await json<{
      blocks: { index: number; data: { id: string }; proof: number; timestamp: number }[];
    }>(`${devnet.urls[0]}/blocks?from=1&limit=1000`);
    const spreads: number[] = [];
    for (const block of final.blocks) {
      const times =
        arrivals.times.get(`${block.index}:${block.data.id}:${block.proof}:${block.timestamp}`) ??
        [];
      if (times.length < nodes) continue;
      const sorted = times.slice(0, nodes).sort((a, b) => a - b);
      spreads.push((sorted[nodes - 1] as number) - (sorted[0] as number));
    }
    spreads.sort((a, b) => a - b);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    console.log(
      `${nodes} nodes${privateTls ? " (private, TLS)" : ""}, difficulty ${DIFFICULTY}: ${spreads.length} blocks, mined -> on all nodes ` +
        `p50 ${ms(percentile(spreads, 50))}, p95 ${ms(percentile(spreads, 95))}, max ${ms(spreads.at(-1) ?? Number.NaN)}`,
    );
    return { p50: percentile(spreads, 50), p95: percentile(spreads, 95) };
  } finally {
    arrivals.stop();
    await stopDevnet(devnet);
    await rm(dir, { recursive: true, force: true });
  }
}

const five = await measure(5);
const ten = await measure(10);
const privateTls = await measure(5, true);
recordResults({
  propagation_p50_ms: five.p50,
  propagation_p95_ms: five.p95,
  propagation10_p50_ms: ten.p50,
  propagation10_p95_ms: ten.p95,
  propagation_private_tls_p50_ms: privateTls.p50,
  propagation_private_tls_p95_ms: privateTls.p95,
});
