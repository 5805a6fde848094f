import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { lockFilePath } from "../../src/storage/file/chain-lock.js";
import { buildChain } from "../helpers/chain-factory.js";
import { NodeProcess } from "../helpers/node-process.js";
import { runCli } from "../helpers/run-cli.js";

test("a second node or a convert on a running node's chain file exits 1 naming its pid; the lock goes with the node", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-lock-"));
  const chainPath = join(dir, "chain.json");
  const node = await NodeProcess.start({
    chainPath,
    args: ["--workers", "1", "--log-level", "warn", "--difficulty", "2"],
  });
  try {
    const pid = node.child.pid as number;
    assert.equal((await readFile(lockFilePath(chainPath), "utf8")).split("\n")[0], String(pid));
    const before = await readFile(chainPath);

    const second = await runCli(["miner", "start", chainPath, "--port", "0", "--workers", "1"]);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`in use by process ${pid}\\b`));
    assert.equal(second.stderr.trim().split("\n").length, 1, second.stderr);

    const source = join(dir, "other.json");
    await writeChainFile(source, "json", buildChain(3, { difficulty: 1 }));
    const convert = await runCli(["convert", source, chainPath, "--to", "json"]);
    assert.equal(convert.code, 1, convert.stderr);
    assert.match(convert.stderr, new RegExp(`in use by process ${pid}\\b`));
    assert.deepEqual(await readFile(chainPath), before, "the chain file is untouched");
    assert.ok(node.running, "the first node still runs");

    assert.equal(await node.stop(), 0);
    assert.equal(existsSync(lockFilePath(chainPath)), false, "released on stop");
    const after = await runCli(["convert", source, chainPath, "--to", "json"]);
    assert.equal(after.code, 0, after.stderr);
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a SIGTERM sent the moment the node says it listens stops it cleanly: exit 0, the lock released", async () => {
  // The signal handlers were once set after the "listening on" line: a parent quick enough
  // (about one start in four on a loaded machine) killed the node with the default action.
  const dir = await mkdtemp(join(tmpdir(), "bc-lock-"));
  try {
    for (let round = 0; round < 6; round++) {
      const chainPath = join(dir, `chain-${round}.json`);
      const node = await NodeProcess.start({
        chainPath,
        args: ["--workers", "1", "--log-level", "warn", "--no-mine"],
      });
      node.child.kill("SIGTERM");
      const { code, signal } = await node.waitExit();
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, node.output());
      assert.equal(existsSync(lockFilePath(chainPath)), false, `round ${round}: lock released`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("after kill -9 the stale lock is taken over by the next start", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-lock-"));
  const chainPath = join(dir, "chain.json");
  const args = ["--workers", "1", "--log-level", "warn", "--difficulty", "2"];
  const first = await NodeProcess.start({ chainPath, args });
  const second: NodeProcess[] = [];
  try {
    first.child.kill("SIGKILL");
    await first.waitExit();
    assert.ok(existsSync(lockFilePath(chainPath)), "kill -9 leaves the lock behind");
    second.push(await NodeProcess.start({ chainPath, args }));
    const holder = (await readFile(lockFilePath(chainPath), "utf8")).split("\n")[0];
    assert.equal(holder, String(second[0]?.child.pid));
  } finally {
    for (const node of [first, ...second]) await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
