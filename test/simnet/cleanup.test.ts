import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { waitFor } from "../helpers/wait-for.js";
import { SimNet, simnetUnavailable, sweepStaleNamespaces } from "./simnet.js";

/*
 * The simnet removes what it made however the run ends: destroy(), a signal,
 * or (for kill -9, which no handler sees) the sweep at the next run.
 */
const UNAVAILABLE = simnetUnavailable();
const SKIP = UNAVAILABLE ? `simnet unavailable: ${UNAVAILABLE}` : false;
const HOLD = fileURLToPath(new URL("./fixtures/hold-simnet.js", import.meta.url));

/** Whether a process runs (a zombie counts as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout;
  return !(stat ?? "").trim().startsWith("Z");
}

/** Namespaces whose name starts with `prefix`. */
function namespacesOf(prefix: string): string[] {
  const listed = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  return listed
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(prefix));
}

/** Leftovers of a simnet: its namespaces, /etc/netns folders and temp folder. */
function leftovers(prefix: string, dir: string): string[] {
  const etc = existsSync("/etc/netns")
    ? readdirSync("/etc/netns").filter((n) => n.startsWith(prefix))
    : [];
  return [...namespacesOf(prefix), ...etc, ...(existsSync(dir) ? [dir] : [])];
}

/** Starts the holding process; resolves once its simnet is up, with its prefix and folder. */
async function hold(): Promise<{ child: ReturnType<typeof spawn>; prefix: string; dir: string }> {
  const child = spawn(process.execPath, [HOLD], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\n")) resolve(text.trim());
    });
    child.once("exit", (code) => reject(new Error(`the holding process exited (${code})`)));
  });
  const [prefix, dir] = line.split(" ") as [string, string];
  return { child, prefix, dir };
}

function exited(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

describe("the simnet cleans up", { skip: SKIP, timeout: 180_000 }, () => {
  it("destroy() removes its namespaces, host files, folder and processes", async () => {
    const net = await SimNet.create({ nodes: 2, hosts: { a: 0 } });
    await net.start(0, { args: ["--difficulty", "1", "--workers", "1"] });
    const pid = net.node(0).process?.child.pid as number;
    assert.equal(namespacesOf(net.prefix).length, 3);
    await net.destroy();
    assert.deepEqual(leftovers(net.prefix, net.dir), []);
    await waitFor(() => !isAlive(pid), { what: "the node to be gone" });
  });

  it("a run ended by SIGTERM removes everything itself", async () => {
    const { child, prefix, dir } = await hold();
    assert.ok(namespacesOf(prefix).length > 0);
    child.kill("SIGTERM");
    await exited(child);
    assert.deepEqual(leftovers(prefix, dir), []);
  });

  it("what a run killed -9 left is swept by the next one, its nodes included", async () => {
    const { child, prefix, dir } = await hold();
    child.kill("SIGKILL");
    await exited(child);
    const left = namespacesOf(prefix);
    assert.equal(left.length, 3, "kill -9 leaves the namespaces");
    const pids = left.flatMap((ns) =>
      (spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "")
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
    assert.ok(pids.length >= 2, "its nodes still run");
    const swept = sweepStaleNamespaces();
    assert.ok(
      left.every((ns) => swept.includes(ns)),
      `swept ${swept.join(" ")}`,
    );
    assert.deepEqual(leftovers(prefix, dir), []);
    // Killed processes are reaped by init a moment later.
    await waitFor(() => pids.every((pid) => !isAlive(pid)), { what: "the nodes to be gone" });
  });
});
