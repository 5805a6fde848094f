import assert from "node:assert/strict";
import { access, copyFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { buildChain } from "../helpers/chain-factory.js";
import { getJson, NodeProcess } from "../helpers/node-process.js";
import { ORIGINAL_JSON } from "../helpers/original-chain.js";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";

const QUIET = ["--difficulty", "1", "--workers", "1", "--log-level", "warn"];

test("miner start takes neighbours as the original did: a host alone, http://, 0.0.0.0", async () => {
  const a = await NodeProcess.start({ args: QUIET });
  const b = await NodeProcess.start({ args: QUIET });
  const node = await NodeProcess.start({
    args: [
      ...QUIET,
      "--max-neighbours",
      "3",
      "--neighbours",
      `localhost,http://localhost:${a.port},0.0.0.0:${b.port}`,
    ],
  });
  try {
    const status = await getJson<{ neighbours: string[] }>(`${node.url}/status`);
    assert.deepEqual(status.neighbours, [
      "127.0.0.1:12345",
      `127.0.0.1:${a.port}`,
      `127.0.0.1:${b.port}`,
    ]);
  } finally {
    await Promise.all([node.stop(), a.stop(), b.stop()]);
  }
});

test("a chain path starting with ~ is under the user's home, not a folder named ~", async () => {
  await withTempDir(async (dir) => {
    const home = join(dir, "home");
    const cwd = join(dir, "cwd");
    await mkdir(home);
    await mkdir(cwd);
    const node = await NodeProcess.start({
      chainPath: "~/chains/chain.json",
      args: QUIET,
      env: { HOME: home },
      cwd,
    });
    try {
      await access(join(home, "chains", "chain.json"));
      assert.deepEqual(await readdir(cwd), [], "no folder named ~ in the working folder");
    } finally {
      await node.stop();
    }
  });
});

test("verify, convert and import take ~ at the start of their paths as the user's home", async () => {
  await withTempDir(async (dir) => {
    await writeChainFile(join(dir, "chain.json"), "json", buildChain(3, { difficulty: 1 }));
    const env = { ...process.env, HOME: dir };
    const verify = await runCli(["verify", "~/chain.json", "--difficulty", "1"], { env, cwd: dir });
    assert.equal(verify.code, 0, verify.stderr);
    const convert = await runCli(["convert", "~/chain.json", "~/out/chain.bin", "--to", "binary"], {
      env,
      cwd: dir,
    });
    assert.equal(convert.code, 0, convert.stderr);
    await access(join(dir, "out", "chain.bin"));
    await copyFile(ORIGINAL_JSON, join(dir, "original.json"));
    const imported = await runCli(
      ["import", "~/original.json", "~/imported/chain.json", "--difficulty", "1"],
      { env, cwd: dir },
    );
    assert.equal(imported.code, 0, imported.stderr);
    await access(join(dir, "imported", "chain.json"));
    assert.ok(!(await readdir(dir)).includes("~"));
  });
});
