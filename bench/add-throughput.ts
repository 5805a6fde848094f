// Durable POST /add requests per second (every 200 is fsynced first) under
// autocannon with 64 connections, against a bare route of the same node
// (GET /status: no body, no disk) in the same run.
// Then the same writes with a writer's token (Authorization: Bearer) against a
// node started with --write-tokens, the two kinds of node measured in turn,
// three times each in ABBA order, the best run of each kept: on a shared
// machine a moment of load elsewhere lowers one run, never raises it. Both
// nodes get the same short warm-up first (before, only the open node had
// served a load, GET /status, when its first add run began). Each run also gives the node's CPU time per
// acknowledged add (from /proc), which the load moves far less than the rate:
// the token's own cost. Last, both nodes are loaded at once, three times: the
// median ratio of their rates in the same seconds. Keys: api_add_per_s,
// api_baseline_per_s, api_add_auth_per_s, api_add_cpu_us, api_add_auth_cpu_us
// (medians of the three runs), api_add_auth_side_by_side_ratio.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { addWriter } from "../src/config/secret-files.js";
import { NodeProcess } from "../test/helpers/node-process.js";
import { cpuSeconds } from "./lib/process-use.js";
import { recordResults } from "./lib/results.js";

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const CONNECTIONS = 64;

async function load(
  label: string,
  opts: {
    url: string;
    method?: string;
    body?: string;
    token?: string;
    durationS?: number;
    connections?: number;
  },
) {
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? "GET",
    connections: opts.connections ?? CONNECTIONS,
    duration: opts.durationS ?? DURATION_S,
    headers: {
      "content-type": "application/json",
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    ...(opts.body ? { body: opts.body } : {}),
  });
  const line = `${label.padEnd(34)} ${result.requests.average.toFixed(0).padStart(7)} req/s   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms   non-2xx ${result.non2xx}   errors ${result.errors}`;
  console.log(line);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${label}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return result.requests.average;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const NODE_FLAGS = [
  "--no-mine",
  "--log-level",
  "warn",
  "--max-pending",
  "10000000",
  "--backup-interval",
  "3600",
];
const secrets = await mkdtemp(join(tmpdir(), "bc-bench-tokens-"));
const tokensFile = join(secrets, "writers");
const token = await addWriter(tokensFile, "bench");
const node = await NodeProcess.start({ args: NODE_FLAGS });
const authNode = await NodeProcess.start({ args: [...NODE_FLAGS, "--write-tokens", tokensFile] });
try {
  console.log(`node ${node.url}, ${DURATION_S} s per run, ${CONNECTIONS} connections (autocannon)`);
  const baseline = await load("GET /status (bare route)", { url: `${node.url}/status` });
  const body = JSON.stringify({
    message: "a benchmark message of a typical length, some sixty bytes",
  });
  const kinds = {
    open: { label: "POST /add (durable)", node, token: undefined },
    auth: { label: "POST /add (durable, writer token)", node: authNode, token },
  };
  const rates = { open: [] as number[], auth: [] as number[] };
  const cpuUs = { open: [] as number[], auth: [] as number[] };
  const run = async (kind: keyof typeof kinds, durationS = DURATION_S) => {
    const { label, node: target, token: bearer } = kinds[kind];
    const pid = target.child.pid as number;
    const cpuBefore = cpuSeconds(pid);
    const rate = await load(label, {
      url: `${target.url}/add`,
      method: "POST",
      body,
      durationS,
      ...(bearer ? { token: bearer } : {}),
    });
    const cpuAfter = cpuSeconds(pid);
    const perAdd =
      cpuBefore === null || cpuAfter === null
        ? Number.NaN
        : ((cpuAfter - cpuBefore) * 1e6) / (rate * durationS);
    console.log(`${"".padEnd(34)} node CPU ${perAdd.toFixed(1)} us per add`);
    return { rate, perAdd };
  };
  // The same warm-up for both, not measured: compiled paths, a few thousand pending messages.
  for (const kind of ["open", "auth"] as const) await run(kind, 1);
  // ABBA order: each kind runs as often right after the other's burst of disk writes.
  for (const kind of ["open", "auth", "auth", "open", "open", "auth"] as const) {
    const { rate, perAdd } = await run(kind);
    rates[kind].push(rate);
    cpuUs[kind].push(perAdd);
  }
  // Side by side: both nodes loaded at once (half the connections each), three
  // times. A moment of load or a slow fsync of the shared disk then falls on
  // both alike, which turns do not give: the ratio of what each wrote in the
  // same seconds is the token's cost with the machine's noise cancelled.
  const sideBySide: number[] = [];
  for (let round = 0; round < 3; round++) {
    const [open, auth] = await Promise.all(
      (["open", "auth"] as const).map((kind) =>
        load(`${kinds[kind].label} side by side`, {
          url: `${kinds[kind].node.url}/add`,
          method: "POST",
          body,
          connections: CONNECTIONS / 2,
          ...(kinds[kind].token ? { token: kinds[kind].token } : {}),
        }),
      ),
    );
    sideBySide.push((auth as number) / (open as number));
  }
  const sideRatio = median(sideBySide);
  const add = Math.max(...rates.open);
  const addAuth = Math.max(...rates.auth);
  const [cpuOpen, cpuAuth] = [median(cpuUs.open), median(cpuUs.auth)];
  console.log(`${"".padEnd(34)} add/baseline ratio: ${(add / baseline).toFixed(3)}`);
  console.log(`${"".padEnd(34)} add with token/add ratio: ${(addAuth / add).toFixed(3)}`);
  console.log(
    `${"".padEnd(34)} node CPU per add: ${cpuOpen.toFixed(1)} us open, ${cpuAuth.toFixed(1)} us with a token (median of 3)`,
  );
  console.log(
    `${"".padEnd(34)} with token/without, side by side: ${sideBySide.map((r) => r.toFixed(3)).join(", ")} (median ${sideRatio.toFixed(3)})`,
  );
  recordResults({
    api_add_per_s: add,
    api_baseline_per_s: baseline,
    api_add_auth_per_s: addAuth,
    api_add_cpu_us: cpuOpen,
    api_add_auth_cpu_us: cpuAuth,
    api_add_auth_side_by_side_ratio: sideRatio,
  });
} finally {
  await node.stop();
  await authNode.stop();
  await rm(secrets, { recursive: true, force: true });
}
