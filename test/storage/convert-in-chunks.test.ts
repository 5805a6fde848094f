import assert from "node:assert/strict";
import { appendFile, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { ChainLoadError } from "../../src/storage/chain-load-error.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { convertInChunks } from "../../src/storage/file/convert-in-chunks.js";
import { buildChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

const CHAIN = buildChain(300, {
  difficulty: 1,
  messages: ["hello", "grüße, 世界 🎉", "x".repeat(900)],
});
const OPTS = { difficulty: 1, maxMessageBytes: 1024 * 1024 };

function fileOf(chain: readonly Block[], format: "json" | "binary"): Buffer {
  const codec = codecFor(format);
  return Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
}

for (const [from, to] of [
  ["json", "binary"],
  ["binary", "json"],
  ["json", "json"],
] as const) {
  test(`${from} -> ${to} in chunks far smaller than the file (records larger than a chunk too): the output is the chain's exact ${to} file, and its digest is given`, async () => {
    await withTempDir(async (dir) => {
      const input = join(dir, `in.${from}`);
      const output = join(dir, "out", `chain.${to}`);
      await writeFile(input, fileOf(CHAIN, from));
      for (const chunkBytes of [1024, 4096, 1 << 20]) {
        const done = await convertInChunks(input, output, from, to, OPTS, { chunkBytes });
        assert.ok(done && !(done instanceof ChainLoadError), String(done));
        const expected = fileOf(CHAIN, to);
        assert.deepEqual(await readFile(output), expected);
        assert.equal(done.blocks, CHAIN.length);
        assert.equal(done.outputBytes, expected.length);
        assert.equal(done.inputBytes, fileOf(CHAIN, from).length);
        assert.equal(done.tornAt, null);
      }
      assert.deepEqual(
        (await readdir(join(dir, "out"))).filter((n) => n.endsWith(".tmp")),
        [],
        "no temporary file left",
      );
    });
  });
}

test("a file not sound all through, or holding a broken block, is left to the whole-file path (null) while it fits in memory; past that a broken block is named", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "in.json");
    const output = join(dir, "out.bin");
    const bytes = fileOf(CHAIN, "json");
    await writeFile(input, Buffer.concat([bytes, Buffer.from('{"index":300,"tim')]));
    assert.equal(await convertInChunks(input, output, "json", "binary", OPTS), null);
    const broken = Buffer.from(bytes.toString("utf8").replace('"hello"', '"jello"'));
    await writeFile(input, broken);
    assert.equal(await convertInChunks(input, output, "json", "binary", OPTS), null);
    const named = await convertInChunks(input, output, "json", "binary", OPTS, {
      wholeFileMax: 1000,
    });
    assert.ok(named instanceof ChainLoadError, String(named));
    assert.equal(named.code, "INVALID_CHAIN");
    assert.deepEqual((await readdir(dir)).sort(), ["in.json"], "nothing written");
  });
});

test("past the size read whole, a torn last record is left out and said where it starts", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "in.bin");
    const output = join(dir, "out.json");
    const bytes = fileOf(CHAIN, "binary");
    await writeFile(input, bytes);
    await appendFile(
      input,
      codecFor("binary")
        .encodeRecord(CHAIN[5] as Block)
        .subarray(0, 20),
    );
    const done = await convertInChunks(input, output, "binary", "json", OPTS, {
      chunkBytes: 2048,
      wholeFileMax: 1000,
    });
    assert.ok(done && !(done instanceof ChainLoadError), String(done));
    assert.equal(done.tornAt, bytes.length);
    assert.equal(done.inputBytes, bytes.length);
    assert.deepEqual(await readFile(output), fileOf(CHAIN, "json"));
  });
});
