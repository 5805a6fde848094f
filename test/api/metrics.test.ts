import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import {
  getMetricsFromIterator,
  type PromData,
  type PromHistogramData,
  type PromMetric,
  type PromMetrics,
} from "prom2javascript";
import { VERSION } from "../../src/config/version.js";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

let node: TestMiner;
before(async () => {
  node = await startTestMiner({ mine: false });
});
after(async () => node.stop());

/**
 * GET /metrics, parsed by a parser of the Prometheus text format (prom2javascript:
 * it throws on a malformed line, and keeps a histogram's labels, which
 * parse-prometheus-text-format drops).
 */
async function scrape(): Promise<PromMetrics> {
  const { status, body, headers } = await http(`${node.url}/metrics`);
  assert.equal(status, 200);
  assert.match(headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  // prom-client's own process metrics write NaN as `Nan` until their first sample: Prometheus
  // reads it (Go's ParseFloat), this parser does not. Ours never may; theirs are left out.
  const lines = (body as string).split("\n");
  assert.deepEqual(
    lines.filter((line) => line.endsWith(" Nan") && !/^(nodejs|process)_/.test(line)),
    [],
  );
  return getMetricsFromIterator(lines.filter((line) => !line.endsWith(" Nan"))[Symbol.iterator]());
}

function family(metrics: PromMetrics, name: string): PromMetric {
  const found = metrics[name];
  assert.ok(found, `${name} is exported`);
  return found;
}

test("http_request_duration_seconds is a histogram by route pattern, method and status", async () => {
  await http(`${node.url}/status`);
  await http(`${node.url}/blocks/0`);
  await http(`${node.url}/blocks/99`);
  await http(`${node.url}/no/such/path`);
  const metrics = await scrape();
  const histogram = family(metrics, "http_request_duration_seconds");
  assert.equal(histogram.type, "histogram");
  const sample = (route: string, status: string) =>
    (histogram.data as PromHistogramData[]).find(
      (m) => m.labels?.route === route && m.labels?.method === "GET" && m.labels?.status === status,
    );
  for (const [route, status] of [
    ["/status", "200"],
    ["/blocks/:index", "200"],
    ["/blocks/:index", "404"],
    ["unmatched", "404"],
  ] as const) {
    const found = sample(route, status);
    assert.ok(found, `GET ${route} ${status} is recorded`);
    assert.ok(found.count >= 1);
    assert.equal(found.buckets["+Inf"], found.count);
    assert.ok((found.sum ?? -1) >= 0);
  }
});

test("blockchain_build_info says which version runs", async () => {
  const info = family(await scrape(), "blockchain_build_info");
  assert.equal(info.type, "gauge");
  assert.deepEqual(info.data, [
    { value: 1, labels: { version: VERSION, nodejs_version: process.versions.node } },
  ]);
});

test("the hash rate has its unit in its name, and the old name is gone", async () => {
  const metrics = await scrape();
  assert.equal(family(metrics, "blockchain_hashes_per_second").type, "gauge");
  assert.equal(family(metrics, "blockchain_hashes_total").type, "counter");
  assert.equal(metrics.blockchain_hashrate, undefined);
});

test("blockchain_event_stream_clients counts the clients of GET /events", async () => {
  const clients = async () =>
    (family(await scrape(), "blockchain_event_stream_clients").data as PromData[])[0]?.value;
  assert.equal(await clients(), 0);
  const streams = [0, 1].map(
    () =>
      new Promise<import("node:http").ClientRequest>((resolve, reject) => {
        const req = request(`${node.url}/events`, () => resolve(req));
        req.on("error", reject);
        req.end();
      }),
  );
  const open = await Promise.all(streams);
  try {
    await waitFor(async () => (await clients()) === 2, { what: "2 event-stream clients" });
  } finally {
    for (const req of open) req.destroy();
  }
  await waitFor(async () => (await clients()) === 0, { what: "no event-stream client" });
});

test("every metric of the node follows the naming rules (counters end in _total)", async () => {
  for (const [name, f] of Object.entries(await scrape())) {
    if (!name.startsWith("blockchain_")) continue;
    assert.match(name, /^[a-z_]+$/);
    assert.equal(f.type === "counter", name.endsWith("_total"), `${name} (${f.type})`);
    assert.ok(f.help.length > 0, `${name} has help`);
  }
});
