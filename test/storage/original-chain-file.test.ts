import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { genesisBlock } from "../../src/core/genesis.js";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { parseJsonPickle } from "../../src/storage/original/jsonpickle.js";
import {
  OriginalChainError,
  readOriginalChainFile,
  recogniseOriginalChain,
} from "../../src/storage/original/original-chain-file.js";
import { FIXTURE_MESSAGES, ORIGINAL_JSON, ORIGINAL_PICKLE } from "../helpers/original-chain.js";
import { withTempDir } from "../helpers/temp-dir.js";

test("the original's jsonpickle and pickle files are recognised by content, whatever their name", async () => {
  assert.equal(recogniseOriginalChain(await readFile(ORIGINAL_JSON)), "jsonpickle");
  assert.equal(recogniseOriginalChain(await readFile(ORIGINAL_PICKLE)), "pickle");
  await withTempDir(async (dir) => {
    const json = join(dir, "chain.json");
    const bin = join(dir, "chain.bin");
    await writeChainFile(json, "json", [genesisBlock()]);
    await writeChainFile(bin, "binary", [genesisBlock()]);
    assert.equal(recogniseOriginalChain(await readFile(json)), null);
    assert.equal(recogniseOriginalChain(await readFile(bin)), null);
  });
  assert.equal(recogniseOriginalChain(Buffer.from("hello block Block")), null);
});

test("the pickle fixture (protocol 4, saved as chain.json by the original) reads as its blocks", async () => {
  const bytes = await readFile(ORIGINAL_PICKLE);
  assert.deepEqual([bytes[0], bytes[1]], [0x80, 4], "pickle protocol 4");
  const file = await readOriginalChainFile(ORIGINAL_PICKLE);
  assert.equal(file.format, "pickle");
  assert.deepEqual(
    file.blocks.slice(1).map((b) => b.data.message),
    FIXTURE_MESSAGES,
  );
  assert.deepEqual(
    file.blocks.map((b) => b.index),
    [0, 1, 2, 3, 4],
  );
  assert.equal(file.blocks[0]?.proof, null);
  assert.equal(file.blocks[0]?.previousHash, null);
  assert.equal(file.blocks[1]?.proof, 3969);
  assert.equal(file.blocks[1]?.data.id, "2272fe5f4f0b40e3927710cbc0109c6d");
  assert.equal(file.blocks[1]?.timestamp, 1795690783.2649355);
});

test("the jsonpickle fixture reads as its blocks, float seconds kept", async () => {
  const file = await readOriginalChainFile(ORIGINAL_JSON);
  assert.equal(file.format, "jsonpickle");
  assert.deepEqual(
    file.blocks.slice(1).map((b) => b.data.message),
    FIXTURE_MESSAGES,
  );
  assert.equal(file.blocks[0]?.timestamp, 1795690768.1363006);
  assert.equal(file.blocks[4]?.data.id, "42befa0807e9412e89c7825f78b76d59");
});

test("a pickle naming any class but the original's Block and Data is refused, naming the class", async () => {
  await withTempDir(async (dir) => {
    const bytes = Buffer.from(await readFile(ORIGINAL_PICKLE));
    const at = bytes.indexOf("\x8c\x04Data", 0, "latin1");
    assert.ok(at > 0);
    bytes.write("Evil", at + 2, "latin1");
    const path = join(dir, "evil.pkl");
    await writeFile(path, bytes);
    await assert.rejects(readOriginalChainFile(path), (err: unknown) => {
      assert.ok(err instanceof OriginalChainError);
      assert.match(err.message, /names the class blockchain\.blockchain\.data\.Evil/);
      return true;
    });
  });
});

test("a torn pickle is refused with a reason, and the file is left as it was", async () => {
  await withTempDir(async (dir) => {
    const bytes = (await readFile(ORIGINAL_PICKLE)).subarray(0, 500);
    const path = join(dir, "torn.pkl");
    await writeFile(path, bytes);
    await assert.rejects(readOriginalChainFile(path), /cannot unpickle it/);
    const after = await readFile(path);
    assert.equal(
      createHash("sha256").update(after).digest("hex"),
      createHash("sha256").update(bytes).digest("hex"),
    );
  });
});

test("jsonpickle tags that would run code or point back are refused, naming the tag", () => {
  assert.throws(
    () => parseJsonPickle('[{"py/reduce": [{"py/function": "os.system"}]}]'),
    /py\/reduce/,
  );
  assert.throws(() => parseJsonPickle('[{"py/id": 1}]'), /py\/id/);
  assert.deepEqual(parseJsonPickle('{"py/set": [{"py/tuple": ["127.0.0.1", 23456]}]}'), [
    ["127.0.0.1", 23456],
  ]);
});
