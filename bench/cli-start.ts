import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { BIN, NodeProcess } from "../test/helpers/node-process.js";
import { recordResults } from "./lib/results.js";

/*
 * How long the commands scripts call in loops take, start to exit, as the
 * median of RUNS runs each, taken in turns so that a change in the machine's
 * load touches all alike: `blockchain --version`, `blockchain get status`
 * against a running node, and the runtime's own start (`node -e 0`) for
 * scale. Keys: cli_version_s, cli_status_s, cli_node_s, and each command's
 * time over the runtime's (cli_version_over_node, cli_status_over_node).
 */

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 21);

/** Seconds from spawn to exit of `node ...args`; throws when it fails. */
function run(args: string[]): number {
  const began = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 30_000 });
  const seconds = (performance.now() - began) / 1000;
  if (result.status !== 0) {
    throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const node = await NodeProcess.start({ args: ["--no-mine", "--log-level", "warn"] });
try {
  const commands = {
    node: ["-e", "0"],
    version: [BIN, "--version"],
    status: [BIN, "get", "status", "--port", String(node.port)],
  };
  const times: Record<keyof typeof commands, number[]> = { node: [], version: [], status: [] };
  // One run each first: the file cache warm, the node's first answer given.
  for (const args of Object.values(commands)) run(args);
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(commands)) {
      times[name as keyof typeof commands].push(run(args));
    }
  }
  const [nodeS, versionS, statusS] = [
    median(times.node),
    median(times.version),
    median(times.status),
  ];
  console.log(`node -e 0                  ${nodeS.toFixed(3)} s (median of ${RUNS})`);
  console.log(`blockchain --version       ${versionS.toFixed(3)} s`);
  console.log(`blockchain get status      ${statusS.toFixed(3)} s`);
  recordResults({
    cli_node_s: nodeS,
    cli_version_s: versionS,
    cli_status_s: statusS,
    cli_version_over_node: versionS / nodeS,
    cli_status_over_node: statusS / nodeS,
  });
} finally {
  await node.stop();
}
