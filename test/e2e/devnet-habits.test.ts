import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { devnetBasePort } from "../helpers/devnet-process.js";
import { addMessage, BIN, getJson } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

interface Devnet {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

describe("devnet habits", { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  function devnet(args: string[]): Devnet {
    const child = spawn(process.execPath, [BIN, "devnet", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    cleanup.push(async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    });
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr?.setEncoding("utf8").on("data", (c: string) => (err += c));
    return { child, out: () => out, err: () => err, exited };
  }

  it("shows mined blocks at its default log level, and --fresh starts new chains", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bc-devnet-fresh-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const port = await devnetBasePort(1);
    const common = ["--nodes", "1", "--base-port", String(port), "--dir", dir, "--workers", "1"];

    const first = devnet([...common, "--difficulty", "2"]);
    await waitFor(() => first.out().includes("devnet ready"), { what: "devnet ready" });
    await addMessage(`http://127.0.0.1:${port}`, "shown at the default level");
    await waitFor(() => /\[node-0\] .*mined block 1/.test(first.err()), {
      what: `'mined block 1' on devnet's stderr:\n${first.err()}`,
    });
    first.child.kill("SIGINT");
    assert.equal(await first.exited, 0);

    // The chain left behind was mined at difficulty 2: a node at 8 refuses it.
    const refused = devnet([...common, "--difficulty", "8"]);
    assert.equal(await refused.exited, 1);
    assert.match(refused.err(), /--fresh starts new chains/);

    const fresh = devnet([...common, "--difficulty", "8", "--fresh"]);
    await waitFor(() => fresh.out().includes("devnet ready"), { what: "devnet ready" });
    const status = await getJson<{ length: number; difficulty: number }>(
      `http://127.0.0.1:${port}/status`,
    );
    assert.deepEqual([status.length, status.difficulty], [1, 8]);
    fresh.child.kill("SIGINT");
    assert.equal(await fresh.exited, 0);
  });
});
