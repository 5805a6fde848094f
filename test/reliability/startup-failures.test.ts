import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type CliRun, runCli } from "../helpers/run-cli.js";
import { withTmpfs } from "../helpers/tmpfs.js";

// Warnings and errors only: the info lines of a normal start are not part of the failure.
const FLAGS = ["--workers", "1", "--difficulty", "2", "--log-level", "warn"];

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "bc-startup-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Exit 1, and stderr is exactly one line (no stack trace) matching `cause`. */
function assertOneLineFailure(run: CliRun, cause: RegExp): void {
  assert.equal(run.code, 1, `exit code ${run.code ?? run.signal}; stderr:\n${run.stderr}`);
  const lines = run.stderr.split("\n").filter((l) => l.trim() !== "");
  assert.equal(lines.length, 1, `one line expected, got:\n${run.stderr}`);
  assert.match(lines[0] as string, cause);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
}

function start(chainPath: string, extra: string[] = [], wrap?: string[]): Promise<CliRun> {
  return runCli(["miner", "start", chainPath, "--port", "0", ...FLAGS, ...extra], {
    timeoutMs: 20_000,
    ...(wrap ? { wrap } : {}),
  });
}

test("a chain path under a regular file exits 1 saying the folder is not a folder", async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, "notes.txt"), "not a folder");
    const run = await start(join(dir, "notes.txt", "chain.json"));
    assertOneLineFailure(run, /notes\.txt is not a folder/);
  });
});

test("a chain path that is a folder exits 1 saying so", async () => {
  await withDir(async (dir) => {
    await mkdir(join(dir, "chain.json"));
    const run = await start(join(dir, "chain.json"));
    assertOneLineFailure(run, /chain\.json is a folder, not a chain file/);
  });
});

test("a read-only folder exits 1 saying it is not writable", async (t) => {
  const outcome = await withTmpfs(
    "1m",
    async (dir) => {
      const run = await start(join(dir, "chain.json"));
      assertOneLineFailure(run, /is not writable \(it is on a read-only file system\)/);
    },
    { readOnly: true },
  );
  if ("skipped" in outcome) t.skip(outcome.skipped);
});

test("a log file that cannot be opened exits 1 naming it", async () => {
  await withDir(async (dir) => {
    await mkdir(join(dir, "miner.log"));
    const run = await start(join(dir, "chain.json"));
    assertOneLineFailure(run, /cannot open the log file .*miner\.log: EISDIR/);
  });
});

test("a port in use exits 1 saying so", async () => {
  await withDir(async (dir) => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const run = await runCli(
        ["miner", "start", join(dir, "chain.json"), "--port", String(port), ...FLAGS],
        { timeoutMs: 20_000 },
      );
      assertOneLineFailure(
        run,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`),
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

test("an address this machine does not have exits 1 saying so", async (t) => {
  // In a network namespace of its own, loopback is down and has no ::1 (IPv6 adds it on "up").
  const probe = spawnSync("unshare", ["-n", "true"]);
  if (probe.status !== 0) {
    t.skip("cannot make a network namespace here (unshare -n needs root)");
    return;
  }
  await withDir(async (dir) => {
    const run = await start(join(dir, "chain.json"), ["--host", "::1"], ["unshare", "-n"]);
    assertOneLineFailure(run, /cannot listen on \[::1\]:0: this machine has no such address/);
  });
});

test("a file with no whole block exits 1 and is left as it is", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeFile(path, "a note, not a chain");
    const run = await start(path);
    assertOneLineFailure(run, /holds no whole block.*left as it is/);
    assert.equal(await readFile(path, "utf8"), "a note, not a chain");
  });
});
