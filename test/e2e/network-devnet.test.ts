import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { devnetBasePort } from "../helpers/devnet-process.js";
import { addMessage, BIN, getJson } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

describe("blockchain devnet", { timeout: 60_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("starts a ring of nodes that converge, and stops them all on SIGINT with exit 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bc-devnet-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const base = await devnetBasePort(3);
    const args = [
      "devnet",
      "--nodes",
      "3",
      "--base-port",
      String(base),
      "--difficulty",
      "2",
      "--dir",
      dir,
      "--workers",
      "1",
    ];
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => resolve(code)),
    );
    cleanup.push(async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.stderr.resume();
    await waitFor(() => out.includes("devnet ready"), { timeoutMs: 30_000, what: "devnet ready" });
    const urls = [...out.matchAll(/^node-\d+ (http:\/\/\S+)$/gm)].map((m) => m[1] as string);
    assert.equal(urls.length, 3);
    const ids = await Promise.all(urls.map((url, i) => addMessage(url, `devnet ${i}`)));
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          urls.map((u) => getJson<{ length: number; tip: string; pending: number }>(`${u}/status`)),
        );
        return statuses.every(
          (s) => s.length === ids.length + 1 && s.tip === statuses[0]?.tip && s.pending === 0,
        );
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "the devnet to agree on one chain" },
    );
    assert.deepEqual((await readdir(dir)).sort(), ["node-0", "node-1", "node-2"]);
    child.kill("SIGINT");
    assert.equal(await exited, 0);
    assert.match(out, /devnet stopped\n/);
  });
});
