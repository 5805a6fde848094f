import assert from "node:assert/strict";
import { copyFile, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { ORIGINAL_JSON, ORIGINAL_PICKLE } from "../helpers/original-chain.js";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";

const ORIGINALS = [
  { fixture: ORIGINAL_JSON, format: "jsonpickle" },
  // The original saved its pickle as chain.json too: the content decides, not the name.
  { fixture: ORIGINAL_PICKLE, format: "pickle" },
];

/** Runs `args(path)` on a copy of each original file: exit 1, the message, the file untouched. */
async function assertRecognised(args: (path: string) => string[]): Promise<void> {
  for (const { fixture, format } of ORIGINALS) {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.json");
      await copyFile(fixture, path);
      const run = await runCli(args(path), { timeoutMs: 30_000 });
      assert.equal(run.code, 1, `${format}: ${run.stdout}${run.stderr}`);
      assert.match(
        run.stderr,
        new RegExp(`chain file of the original Python node \\(its ${format} format\\)`),
      );
      assert.ok(run.stderr.includes(`blockchain import ${path} <new_chain_path>`), run.stderr);
      assert.deepEqual(await readFile(path), await readFile(fixture), "the file is untouched");
      const left = (await readdir(dir)).filter((name) => name !== "miner.log");
      assert.deepEqual(left, ["chain.json"], "nothing written beside it");
    });
  }
}

test("a node started on an original's chain file exits 1 naming blockchain import", async () => {
  await assertRecognised((path) => ["miner", "start", path, "--port", "0", "--workers", "1"]);
});

test("verify of an original's chain file exits 1 naming blockchain import", async () => {
  await assertRecognised((path) => ["verify", path]);
});

test("convert of an original's chain file exits 1 naming blockchain import", async () => {
  await assertRecognised((path) => ["convert", path, `${path}.bin`, "--to", "binary"]);
});
