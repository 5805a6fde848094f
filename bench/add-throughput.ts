// Durable POST /add requests per second (every 200 is fsynced first) under
// autocannon with 64 connections, against a bare route of the same node
// (GET /status: no body, no disk) in the same run.
// Keys: api_add_per_s, api_baseline_per_s.
import autocannon from "autocannon";
import { NodeProcess } from "../test/helpers/node-process.js";
import { recordResults } from "./lib/results.js";

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const CONNECTIONS = 64;

async function load(label: string, opts: { url: string; method?: string; body?: string }) {
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? "GET",
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { "content-type": "application/json" },
    ...(opts.body ? { body: opts.body } : {}),
  });
  const line = `${label.padEnd(34)} ${result.requests.average.toFixed(0).padStart(7)} req/s   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms   non-2xx ${result.non2xx}   errors ${result.errors}`;
  console.log(line);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${label}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return result.requests.average;
}

const node = await NodeProcess.start({
  args: [
    "--no-mine",
    "--log-level",
    "warn",
    "--max-pending",
    "10000000",
    "--backup-interval",
    "3600",
  ],
});
try {
  console.log(`node ${node.url}, ${DURATION_S} s per run, ${CONNECTIONS} connections (autocannon)`);
  const baseline = await load("GET /status (bare route)", { url: `${node.url}/status` });
  const add = await load("POST /add (durable)", {
    url: `${node.url}/add`,
    method: "POST",
    body: JSON.stringify({ message: "a benchmark message of a typical length, some sixty bytes" }),
  });
  console.log(`${"".padEnd(34)} ratio: ${(add / baseline).toFixed(3)}`);
  recordResults({ api_add_per_s: add, api_baseline_per_s: baseline });
} finally {
  await node.stop();
}
