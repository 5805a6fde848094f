import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { buildChain } from "../helpers/chain-factory.js";
import { ORIGINAL_JSON } from "../helpers/original-chain.js";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";

const D = 3;
const CHAIN = buildChain(8, { difficulty: D, messages: ["a", "b"] });
const TIP = hashBlock(CHAIN.at(-1) as Block);

/** The fewest trailing zeros of any block's proof hash: what the chain meets (counted apart). */
function expectedDifficulty(chain: Block[]): number {
  let met = Number.POSITIVE_INFINITY;
  for (let i = 1; i < chain.length; i++) {
    const last = (chain[i - 1] as Block).proof;
    const hex = createHash("sha256")
      .update(`${last === null ? "null" : last}${(chain[i] as Block).proof}`)
      .digest("hex");
    met = Math.min(met, (/0*$/.exec(hex) as RegExpExecArray)[0].length);
  }
  return met;
}

test("verify without --difficulty reports the difficulty the chain meets, and accepts it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", CHAIN);
    const met = expectedDifficulty(CHAIN);
    assert.ok(met >= D);
    const run = await runCli(["verify", path]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      `valid: ${CHAIN.length} blocks, tip ${TIP}; it meets difficulty ${met}\n`,
    );
    const json = await runCli(["verify", path, "--json"]);
    assert.deepEqual(JSON.parse(json.stdout), {
      valid: true,
      blocks: CHAIN.length,
      tip: TIP,
      difficulty: met,
      difficulty_given: false,
    });
  });
});

test("verify --difficulty still holds the chain to it; --json gives the failing block", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", CHAIN);
    const strict = expectedDifficulty(CHAIN) + 1;
    const run = await runCli(["verify", path, "--difficulty", String(strict), "--json"]);
    assert.equal(run.code, 1);
    const verdict = JSON.parse(run.stdout);
    assert.equal(verdict.valid, false);
    assert.equal(typeof verdict.index, "number");
    assert.match(verdict.reason, new RegExp(`difficulty ${strict}`));
  });
});

test("a chain of genesis alone is valid and reported at difficulty 1", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", CHAIN.slice(0, 1));
    const run = await runCli(["verify", path]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^valid: 1 blocks, .*; it meets difficulty 1\n$/);
  });
});

test("convert --json says what it wrote", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    const out = join(dir, "chain.bin");
    await writeChainFile(path, "json", CHAIN);
    const run = await runCli(["convert", path, out, "--to", "binary", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.blocks, CHAIN.length);
    assert.deepEqual([summary.from.format, summary.to.format], ["json", "binary"]);
    assert.equal(summary.to.path, out);
    assert.ok(summary.to.bytes > 0 && summary.from.bytes > summary.to.bytes);
  });
});

test("import --json says what it imported and wrote", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "imported.json");
    const run = await runCli(["import", ORIGINAL_JSON, out, "--difficulty", "1", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.messages, summary.to.blocks - 1);
    assert.equal(summary.from.format, "jsonpickle");
    assert.deepEqual([summary.to.path, summary.to.format, summary.to.difficulty], [out, "json", 1]);
    assert.match(summary.to.tip, /^[0-9a-f]{64}$/);
  });
});

test("verify without --difficulty reports the content rule's difficulty from the blocks' own hashes", async () => {
  await withTempDir(async (dir) => {
    const chain = buildChain(5, { difficulty: 2, messages: ["c"], rule: "content" });
    const met = Math.min(
      ...chain.slice(1).map((b) => (/0*$/.exec(hashBlock(b)) as RegExpExecArray)[0].length),
    );
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", chain);
    const run = await runCli(["verify", path, "--proof-rule", "content", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).difficulty, met);
  });
});
