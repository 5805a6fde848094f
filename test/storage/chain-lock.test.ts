import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  ChainLock,
  ChainLockedError,
  ChainStore,
  lockFilePath,
} from "../../src/storage/chain-store.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const LOCK_MODULE = fileURLToPath(new URL("../../src/storage/file/chain-lock.js", import.meta.url));

/** A pid that no process has now: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

test("a second open of a chain file is refused naming the holder's pid, until the first closes", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    const first = await ChainStore.open(path, { format: "json", difficulty: 1 });
    assert.equal((await readFile(lockFilePath(path), "utf8")).split("\n")[0], String(process.pid));
    const err = await ChainStore.open(path, { format: "json", difficulty: 1 }).then(
      () => assert.fail("the second open should be refused"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChainLockedError, String(err));
    assert.equal(err.pid, process.pid);
    assert.match(err.message, new RegExp(`in use by process ${process.pid}`));
    await first.store.close();
    assert.equal(existsSync(lockFilePath(path)), false, "released on close");
    const again = await ChainStore.open(path, { format: "json", difficulty: 1 });
    await again.store.close();
  });
});

test("a stale lock of a dead process is taken over", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeFile(lockFilePath(path), `${deadPid()}\n`);
    const { store } = await ChainStore.open(path, { format: "json", difficulty: 1 });
    assert.equal((await readFile(lockFilePath(path), "utf8")).split("\n")[0], String(process.pid));
    await store.close();
  });
});

test("concurrent takers of one stale lock: exactly one wins, in one process and across processes", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeFile(lockFilePath(path), `${deadPid()}\n`);
    const here = await Promise.allSettled([1, 2, 3, 4].map(() => ChainLock.acquire(path)));
    const won = here.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1);
    await (won[0] as PromiseFulfilledResult<ChainLock>).value.release();

    await writeFile(lockFilePath(path), `${deadPid()}\n`);
    // Each child tries to take the lock, says whether it won, and holds it until its stdin closes.
    const script = `
      const { ChainLock } = await import(${JSON.stringify(LOCK_MODULE)});
      try {
        const lock = await ChainLock.acquire(${JSON.stringify(path)});
        process.stdout.write("won\\n");
        process.stdin.resume();
        process.stdin.on("end", () => lock.release());
      } catch (err) {
        process.stdout.write("lost " + err.pid + "\\n");
      }`;
    const children = [1, 2, 3, 4, 5].map(() =>
      spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    try {
      const said = children.map((child) => {
        let text = "";
        child.stdout.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        return () => text;
      });
      const answers = await waitFor(
        () => (said.every((s) => s().includes("\n")) ? said.map((s) => s().trim()) : null),
        { what: "every child's answer" },
      );
      const winners = answers.filter((a) => a === "won");
      assert.equal(winners.length, 1, answers.join(", "));
      const winner = children[answers.indexOf("won")];
      for (const a of answers.filter((x) => x !== "won")) {
        assert.equal(a, `lost ${winner?.pid}`);
      }
      assert.equal(
        (await readFile(lockFilePath(path), "utf8")).split("\n")[0],
        String(winner?.pid),
      );
    } finally {
      for (const child of children) child.stdin.end();
      for (const child of children) {
        if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
      }
    }
    assert.equal(existsSync(lockFilePath(path)), false, "the winner released it");
  });
});
