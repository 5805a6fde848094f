import assert from "node:assert/strict";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { GENESIS_BLOCK } from "../../src/core/genesis.js";
import { hashBlock, sha256Hex } from "../../src/core/hash.js";
import { isProofOfWorkValid, proofOfWork } from "../../src/core/pow.js";
import { CONTENT_PROOF_RULE } from "../../src/core/proof-rules.js";
import { validateChain } from "../../src/core/validate.js";
import { checkChainFile, readChainFile } from "../../src/storage/file/chain-file.js";
import { ChainLock } from "../../src/storage/file/chain-lock.js";
import { readOriginalChainFile } from "../../src/storage/original/original-chain-file.js";
import {
  buildOriginalChain,
  FIXTURE_MESSAGES,
  ORIGINAL_JSON,
  ORIGINAL_PICKLE,
  toJsonPickle,
} from "../helpers/original-chain.js";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";

const D = 2;

async function importedChain(path: string, difficulty = D): Promise<Block[]> {
  const file = await readChainFile(path);
  return checkChainFile(file, { difficulty });
}

test("import of the original's jsonpickle file: same messages, ids, order and timestamps in ms, mined anew", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "imported", "chain.json");
    const before = await readFile(ORIGINAL_JSON);
    const run = await runCli(["import", ORIGINAL_JSON, out, "--difficulty", String(D)]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^imported 4 messages: .*chain-jsonpickle\.json \(original jsonpickle, 5 blocks, mined at difficulty 3\) -> .*chain\.json \(json, 5 blocks, \d+ bytes, difficulty 2, proof rule original, tip [0-9a-f]{64}\)\n$/,
    );
    const chain = await importedChain(out);
    const original = (await readOriginalChainFile(ORIGINAL_JSON)).blocks;
    assert.deepEqual(chain[0], GENESIS_BLOCK);
    assert.deepEqual(
      chain.slice(1).map((b) => b.data),
      original.slice(1).map((b) => b.data),
    );
    assert.deepEqual(
      chain.slice(1).map((b) => b.data.message),
      FIXTURE_MESSAGES,
    );
    assert.deepEqual(
      chain.slice(1).map((b) => b.timestamp),
      original.slice(1).map((b) => Math.round(b.timestamp * 1000)),
    );
    // Mined anew under the original rule: the smallest proof after each previous one.
    for (let i = 1; i < chain.length; i++) {
      assert.equal(chain[i]?.proof, proofOfWork(chain[i - 1]?.proof ?? null, D));
    }
    assert.deepEqual(await readFile(ORIGINAL_JSON), before, "the input is not changed");
    const hash = await readFile(join(dir, "imported", "chain.hash"), "utf8");
    assert.equal(hash, sha256Hex(await readFile(out)));
  });
});

test("import of the original's pickle file (named chain.json, as the original saved it) in binary", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "chain.json");
    await copyFile(ORIGINAL_PICKLE, input);
    const out = join(dir, "new.bin");
    const run = await runCli([
      "import",
      input,
      out,
      "--difficulty",
      String(D),
      "--chain_serialization",
      "binary",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\(original pickle, 5 blocks, mined at difficulty 3\)/);
    assert.deepEqual([...(await readFile(out)).subarray(0, 6)], [...Buffer.from("BCHAIN")]);
    const chain = await importedChain(out);
    assert.deepEqual(
      chain.slice(1).map((b) => b.data.message),
      FIXTURE_MESSAGES,
    );
    assert.deepEqual(await readFile(input), await readFile(ORIGINAL_PICKLE));
    const verify = await runCli(["verify", out, "--difficulty", String(D)]);
    assert.equal(verify.code, 0, verify.stderr);
  });
});

test("import keeps timestamps strictly increasing where two seconds round to the same ms", async () => {
  await withTempDir(async (dir) => {
    const original = buildOriginalChain(["a", "b", "c"], {
      difficulty: 1,
      timestamps: [1_700_000_000.5001, 1_700_000_000.5002, 1_700_000_000.5004],
    });
    const input = join(dir, "orig.json");
    await writeFile(input, toJsonPickle(original));
    const out = join(dir, "chain.json");
    const run = await runCli(["import", input, out, "--difficulty", "1"]);
    assert.equal(run.code, 0, run.stderr);
    const chain = await importedChain(out, 1);
    assert.deepEqual(
      chain.map((b) => b.timestamp),
      [0, 1_700_000_000_500, 1_700_000_000_501, 1_700_000_000_502],
    );
  });
});

test("import refuses to write over an existing chain: exit 1, the file unchanged", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "chain.json");
    await writeFile(out, "precious\n");
    const run = await runCli(["import", ORIGINAL_JSON, out, "--difficulty", "1"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /already exists; a new chain is never written over an existing file/);
    assert.equal(await readFile(out, "utf8"), "precious\n");
    const same = await runCli(["import", ORIGINAL_JSON, ORIGINAL_JSON, "--difficulty", "1"]);
    assert.equal(same.code, 1, "the input itself is an existing file");
  });
});

test("import refuses an original chain that breaks the original's rules, naming the block", async () => {
  await withTempDir(async (dir) => {
    const original = buildOriginalChain(["a", "b", "c"], { difficulty: 2 });
    const tampered = structuredClone(original);
    (tampered[2] as (typeof tampered)[number]).data.message = "rewritten";
    const input = join(dir, "orig.json");
    await writeFile(input, toJsonPickle(tampered));
    const out = join(dir, "chain.json");
    const run = await runCli(["import", input, out, "--difficulty", "1"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /block 3: previous hash is not the original's hash/);
    await assert.rejects(readFile(out), { code: "ENOENT" });
  });
});

test("import of a file that is not the original's exits 1 saying so", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "notes.txt");
    await writeFile(input, "just some text\n");
    const run = await runCli(["import", input, join(dir, "chain.json")]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /not a chain file of the original Python node/);
  });
});

test("import refuses a message over --max-message-bytes, naming the block", async () => {
  await withTempDir(async (dir) => {
    const original = buildOriginalChain(["short", "x".repeat(40)], { difficulty: 1 });
    const input = join(dir, "orig.json");
    await writeFile(input, toJsonPickle(original));
    const run = await runCli([
      "import",
      input,
      join(dir, "chain.json"),
      "--difficulty",
      "1",
      "--max-message-bytes",
      "32",
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /block 2: message is 40 bytes of UTF-8, more than the limit of 32/);
  });
});

test("import --proof-rule: original and content are accepted; an unknown rule exits 2 naming the value", async () => {
  await withTempDir(async (dir) => {
    const ok = await runCli([
      "import",
      ORIGINAL_JSON,
      join(dir, "a.json"),
      "--difficulty",
      "1",
      "--proof-rule",
      "original",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const chain = await importedChain(join(dir, "a.json"), 1);
    assert.ok(validateChain(chain, { difficulty: 1 }).ok);
    assert.ok(isProofOfWorkValid(null, chain[1]?.proof as number, 1));
    // Content: each block's own hash meets the difficulty; same messages, ids and timestamps.
    const content = await runCli([
      "import",
      ORIGINAL_JSON,
      join(dir, "c.json"),
      "--difficulty",
      "2",
      "--proof-rule",
      "content",
    ]);
    assert.equal(content.code, 0, content.stderr);
    assert.match(content.stdout, /proof rule content/);
    const file = await readChainFile(join(dir, "c.json"));
    const contentChain = checkChainFile(file, { difficulty: 2, rule: CONTENT_PROOF_RULE });
    assert.deepEqual(
      contentChain.slice(1).map((b) => b.data),
      chain.slice(1).map((b) => b.data),
    );
    for (const block of contentChain.slice(1)) assert.ok(hashBlock(block).endsWith("00"));
    assert.equal(validateChain(contentChain, { difficulty: 2 }).ok, false);
    const bad = await runCli([
      "import",
      ORIGINAL_JSON,
      join(dir, "b.json"),
      "--proof-rule",
      "bitcoin",
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--proof-rule.*'bitcoin'/);
  });
});

test("import refuses a chain path whose lock another process holds, naming it, and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "chain.json");
    const lock = await ChainLock.acquire(out);
    try {
      const run = await runCli(["import", ORIGINAL_JSON, out, "--difficulty", "1"]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`in use by process ${process.pid}`));
      await assert.rejects(readFile(out), { code: "ENOENT" });
    } finally {
      await lock.release();
    }
    const free = await runCli(["import", ORIGINAL_JSON, out, "--difficulty", "1"]);
    assert.equal(free.code, 0, free.stderr);
    await assert.rejects(readFile(`${out}.lock`), { code: "ENOENT" }, "the lock is released");
  });
});
