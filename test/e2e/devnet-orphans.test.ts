import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { devnetBasePort } from "../helpers/devnet-process.js";
import { BIN } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text === "" ? [] : text.split(/\s+/).map(Number);
}

for (const signal of ["SIGKILL", "SIGHUP"] as const) {
  test(`devnet's nodes end when devnet ends by ${signal}, and save their chains`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "bc-orphans-"));
    const base = await devnetBasePort(2);
    const args = ["devnet", "--nodes", "2", "--base-port", String(base), "--difficulty", "2"];
    args.push("--dir", dir, "--workers", "1");
    const devnet = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise((resolve) => devnet.once("exit", resolve));
    let nodes: number[] = [];
    try {
      let out = "";
      devnet.stdout.setEncoding("utf8");
      devnet.stdout.on("data", (chunk: string) => {
        out += chunk;
      });
      devnet.stderr.resume();
      await waitFor(() => out.includes("devnet ready"), {
        timeoutMs: 30_000,
        what: "devnet ready",
      });
      nodes = childrenOf(devnet.pid as number);
      assert.equal(nodes.length, 2, `the node processes: ${nodes.join(", ")}`);

      devnet.kill(signal);
      await exited;
      await waitFor(() => nodes.every((pid) => !isRunning(pid)), {
        timeoutMs: 20_000,
        what: `the nodes to end after devnet's ${signal}`,
      });
      for (const i of [0, 1]) {
        const chain = join(dir, `node-${i}`, "chain.json");
        assert.ok(existsSync(chain), `${chain} saved`);
        assert.equal(existsSync(`${chain}.lock`), false, "stopped cleanly: the lock is released");
      }
    } finally {
      if (devnet.exitCode === null && devnet.signalCode === null) devnet.kill("SIGKILL");
      for (const pid of nodes) if (isRunning(pid)) process.kill(pid, "SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
}
