import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { hashBlock } from "../../src/core/hash.js";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { buildChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

const BIN = fileURLToPath(new URL("../../../bin/blockchain", import.meta.url));
const D = 2;
const CHAIN = buildChain(12, { difficulty: D, messages: ["one", "zwei ü", "三"] });
const TIP = hashBlock(CHAIN[CHAIN.length - 1] as Block);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/blockchain ...args` to its end; an object among the args adds to its environment. */
function cli(...args: (string | Record<string, string>)[]): Promise<Run> {
  const env = { ...process.env };
  const argv: string[] = [];
  for (const arg of args) {
    if (typeof arg === "string") argv.push(arg);
    else Object.assign(env, arg);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("verify prints valid, the length and the tip, and exits 0", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", CHAIN);
    const run = await cli("verify", path, "--difficulty", String(D));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `valid: ${CHAIN.length} blocks, tip ${TIP}\n`);
  });
});

test("verify reads the binary format, named binary or pickle, or detected", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.bin");
    await writeChainFile(path, "binary", CHAIN);
    for (const flags of [
      ["--chain-serialization", "binary"],
      ["--chain_serialization", "pickle"],
      [],
    ]) {
      const run = await cli("verify", path, "--difficulty", String(D), ...flags);
      assert.equal(run.code, 0, `${flags.join(" ")}: ${run.stderr}`);
      assert.equal(run.stdout, `valid: ${CHAIN.length} blocks, tip ${TIP}\n`);
    }
  });
});

test("verify prints invalid with the first bad block and its reason, and exits 1", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    const broken = structuredClone(CHAIN);
    (broken[5] as Block).timestamp = (broken[4] as Block).timestamp;
    await writeChainFile(path, "json", broken);
    const run = await cli("verify", path, "--difficulty", String(D));
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      "invalid: block 5: timestamp is not later than the preceding block's\n",
    );
  });
});

test("verify at a difficulty above the chain's names block 1", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", CHAIN);
    const run = await cli("verify", path, "--difficulty", "12");
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /^invalid: block 1: proof \d+ is not a valid proof of work at difficulty 12\n$/,
    );
  });
});

test("verify of damage in the middle names the record; the file is not changed", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", CHAIN);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[3] = "{not json";
    await writeFile(path, lines.join("\n"));
    const before = await readFile(path);
    const run = await cli("verify", path, "--difficulty", String(D));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^invalid: block 3: not valid JSON/);
    assert.match(run.stderr, /line 4, byte offset \d+/);
    assert.deepEqual(await readFile(path), before);
  });
});

/**
 * CHAIN as JSON Lines with block 5's message holding a byte that is not
 * UTF-8 (it decodes to U+FFFD), and block 6 linking to `link`: the hash of
 * that line's bytes as they are, or of its canonical encoding. The proofs
 * (original rule) do not depend on the hashes, so every other block stays valid.
 */
function rawByteChain(link: "raw line" | "canonical"): Buffer {
  const blocks = structuredClone(CHAIN);
  (blocks[5] as Block).data.message = "not @ UTF-8";
  const lines: Buffer[] = [];
  let previous = "";
  for (const [i, block] of blocks.entries()) {
    if (i > 0) block.previous_hash = previous;
    const line = Buffer.from(encodeBlock(block));
    previous = hashBlock(block);
    if (i === 5) {
      line[line.indexOf("@")] = 0xff;
      previous =
        link === "raw line"
          ? createHash("sha256").update(line).digest("hex")
          : hashBlock(JSON.parse(line.toString("utf8")) as Block);
    }
    lines.push(line, Buffer.from("\n"));
  }
  return Buffer.concat(lines);
}

test("verify names the block whose line is not UTF-8, not the next one that links to its raw bytes", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeFile(path, rawByteChain("raw line"));
    for (const native of ["1", "0"]) {
      const run = await cli("verify", path, "--difficulty", String(D), {
        BLOCKCHAIN_NATIVE: native,
      });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(
        run.stdout,
        "invalid: block 5: the record is not the canonical encoding of its block (block 6 links to the hash of its bytes as they are)\n",
        `BLOCKCHAIN_NATIVE=${native}`,
      );
      assert.match(run.stderr, /record 5, line 6, byte offset \d+/);
    }
    // Linked by its canonical hash, block 6 is fine and block 5 is named for its bytes alone.
    await writeFile(path, rawByteChain("canonical"));
    const run = await cli("verify", path, "--difficulty", String(D));
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stdout,
      "invalid: block 5: the record is not the canonical encoding of its block\n",
    );
  });
});

test("verify of a torn last record warns and judges the rest", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", CHAIN);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    const run = await cli("verify", path, "--difficulty", String(D));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^valid: ${CHAIN.length - 1} blocks`));
    assert.match(run.stderr, /warning: .*torn last record/);
  });
});

test("verify of a missing file exits 1 with a message naming the file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "nothing-here.json");
    const run = await cli("verify", path);
    assert.equal(run.code, 1);
    assert.ok(run.stderr.includes(path), run.stderr);
  });
});

test("verify with a bad flag value exits 2 and names it", async () => {
  const run = await cli("verify", "x.json", "--chain-serialization", "yaml");
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--chain-serialization/);
  const bad = await cli("verify", "x.json", "--difficulty", "zero");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--difficulty/);
});

test("convert json -> binary -> json gives back the same bytes", async () => {
  await withTempDir(async (dir) => {
    const json = join(dir, "chain.json");
    const bin = join(dir, "out", "chain.bin");
    const back = join(dir, "back.json");
    await writeChainFile(json, "json", CHAIN);
    const there = await cli("convert", json, bin, "--to", "binary");
    assert.equal(there.code, 0, there.stderr);
    assert.match(
      there.stdout,
      new RegExp(
        `^converted ${CHAIN.length} blocks: .*\\(json, \\d+ bytes\\) -> .*\\(binary, \\d+ bytes\\)\\n$`,
      ),
    );
    assert.deepEqual([...(await readFile(bin)).subarray(0, 6)], [...Buffer.from("BCHAIN")]);
    const verified = await cli("verify", bin, "--difficulty", String(D));
    assert.equal(verified.stdout, `valid: ${CHAIN.length} blocks, tip ${TIP}\n`);
    const home = await cli("convert", bin, back, "--to", "json", "--from", "pickle");
    assert.equal(home.code, 0, home.stderr);
    assert.deepEqual(await readFile(back), await readFile(json));
  });
});

test("convert refuses an invalid chain and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const json = join(dir, "chain.json");
    const out = join(dir, "chain.bin");
    const broken = structuredClone(CHAIN);
    (broken[2] as Block).previous_hash = "1".repeat(64);
    await writeChainFile(json, "json", broken);
    const run = await cli("convert", json, out, "--to", "binary");
    assert.equal(run.code, 1);
    assert.match(run.stderr, /block 2.*previous_hash/);
    await assert.rejects(readFile(out), { code: "ENOENT" });
  });
});

test("convert without --to, or with an unknown format, exits 2", async () => {
  assert.equal((await cli("convert", "a.json", "b.bin")).code, 2);
  assert.equal((await cli("convert", "a.json", "b.bin", "--to", "xml")).code, 2);
});
