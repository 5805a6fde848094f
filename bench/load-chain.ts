import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { NodeProcess } from "../test/helpers/node-process.js";
import { copyLongChain, MILLION } from "./lib/million-chain.js";
import { recordResults } from "./lib/results.js";

/*
 * Start-up on a long chain: a node process started on a 1,000,000-block
 * chain file (difficulty 1, with its .hash, as the node itself leaves it), in
 * each format, timed from the spawn until GET /status answers; its resident
 * memory then. Keys: load_json_s, load_binary_s, load_rss_mb (the larger of the
 * two), load_json_rss_mb, load_binary_rss_mb. On a shared machine the wall
 * times move with the load, so the run also gives the CPU seconds the node
 * used until then (load_*_cpu_s) and the same for a node on a new chain
 * (load_empty_s, load_empty_cpu_s): the floor any start pays.
 */

const LENGTH = Number(process.env.BENCH_LOAD_LENGTH ?? MILLION);

/** CPU seconds (user + system, every thread) a process used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process in MiB, from /proc (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb / 1024;
}

async function measure(
  format: "json" | "binary",
  length = LENGTH,
): Promise<{ seconds: number; cpu: number; rss: number }> {
  const dir = await mkdtemp(join(tmpdir(), "bc-bench-load-"));
  const chainPath = join(dir, "chain.dat");
  try {
    if (length > 1) await copyLongChain(format, chainPath, length);
    const began = performance.now();
    const node = await NodeProcess.start({
      chainPath,
      startTimeoutMs: 300_000,
      args: [
        "--chain-serialization",
        format,
        "--difficulty",
        "1",
        "--no-mine",
        "--log-level",
        "warn",
      ],
    });
    try {
      const status = await fetch(`${node.url}/status`).then((r) => r.json());
      const seconds = (performance.now() - began) / 1000;
      const cpu = cpuSeconds(node.child.pid as number);
      const rss = rssMb(node.child.pid as number);
      if ((status as { length: number }).length !== length) {
        throw new Error(`the node loaded ${(status as { length: number }).length} blocks`);
      }
      console.log(
        `${format.padEnd(6)} ${length} blocks: /status after ${seconds.toFixed(2)} s (${cpu.toFixed(2)} CPU s), RSS ${rss.toFixed(0)} MiB`,
      );
      return { seconds, cpu, rss };
    } finally {
      await node.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const empty = await measure("json", 1);
const json = await measure("json");
const binary = await measure("binary");
recordResults({
  load_json_s: json.seconds,
  load_binary_s: binary.seconds,
  load_rss_mb: Math.max(json.rss, binary.rss),
  load_json_rss_mb: json.rss,
  load_binary_rss_mb: binary.rss,
  load_json_cpu_s: json.cpu,
  load_binary_cpu_s: binary.cpu,
  load_empty_s: empty.seconds,
  load_empty_cpu_s: empty.cpu,
});
