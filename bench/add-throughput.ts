// /add requests per second with durability on (every 200 is fsynced first),
// against GET /status of the same node in the same run as the reference.
import autocannon from "autocannon";
import { NodeProcess } from "../test/helpers/node-process.js";

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);

async function load(
  label: string,
  opts: { url: string; method?: string; connections: number; body?: string },
) {
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? "GET",
    connections: opts.connections,
    duration: DURATION_S,
    headers: { "content-type": "application/json" },
    ...(opts.body ? { body: opts.body } : {}),
  });
  const line = `${label.padEnd(34)} ${result.requests.average.toFixed(0).padStart(7)} req/s   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms   non-2xx ${result.non2xx}   errors ${result.errors}`;
  console.log(line);
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
  console.log(`node ${node.url}, ${DURATION_S} s per run (autocannon)`);
  const reference = await load("GET /status (reference)", {
    url: `${node.url}/status`,
    connections: 32,
  });
  for (const connections of [1, 32, 128]) {
    const rate = await load(`POST /add, ${connections} connections`, {
      url: `${node.url}/add`,
      method: "POST",
      connections,
      body: JSON.stringify({
        message: "a benchmark message of a typical length, some sixty bytes",
      }),
    });
    console.log(`${"".padEnd(34)} ratio to GET /status: ${(rate / reference).toFixed(3)}`);
  }
} finally {
  await node.stop();
}
