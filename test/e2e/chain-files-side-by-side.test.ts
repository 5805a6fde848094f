import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { hashFilePath, hashOwnerPath } from "../../src/storage/file/hash-file.js";
import { getJson, NodeProcess, postJson } from "../helpers/node-process.js";
import { runCli } from "../helpers/run-cli.js";
import { waitFor } from "../helpers/wait-for.js";

/*
 * SPEC section 5: a chain.json and its converted chain.bin share chain.hash
 * (the path without its extension); the record beside it says which of them
 * it vouches for, so neither ever blocks the other's start.
 */

const ARGS = ["--workers", "1", "--log-level", "warn", "--difficulty", "2"];

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

interface Status {
  length: number;
}

/** Starts a node on `chainPath`, optionally mines `message`, and stops it (exit 0); returns its chain length. */
async function runOnce(chainPath: string, format: string, message?: string): Promise<number> {
  const node = await NodeProcess.start({
    chainPath,
    args: [...ARGS, "--chain-serialization", format],
  });
  try {
    const before = (await getJson<Status>(`${node.url}/status`)).length;
    if (message !== undefined) {
      const added = await postJson(`${node.url}/add`, { message });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      await waitFor(async () => (await getJson<Status>(`${node.url}/status`)).length > before, {
        what: `${message} mined`,
        timeoutMs: 60_000,
      });
    }
    const length = (await getJson<Status>(`${node.url}/status`)).length;
    assert.equal(await node.stop(), 0, node.output());
    return length;
  } finally {
    await node.stop();
  }
}

async function assertVouchesFor(chainPath: string, name: string): Promise<void> {
  const digest = await readFile(hashFilePath(chainPath), "utf8");
  assert.match(digest, /^[0-9a-f]{64}$/, "the .hash holds the hex digest alone");
  assert.equal(await readFile(hashOwnerPath(chainPath), "utf8"), name);
  assert.equal(digest, sha256(await readFile(join(chainPath, "..", name))));
}

test("convert chain.json chain.bin, then starts on chain.bin and chain.json in turn: neither is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-side-by-side-"));
  try {
    const json = join(dir, "chain.json");
    const bin = join(dir, "chain.bin");
    assert.equal(await runOnce(json, "json", "first, in json"), 2);
    assert.equal(hashFilePath(json), join(dir, "chain.hash"), "the original's name");
    await assertVouchesFor(json, "chain.json");

    const converted = await runCli(["convert", json, bin, "--to", "binary"]);
    assert.equal(converted.code, 0, converted.stderr);
    await assertVouchesFor(bin, "chain.bin");

    assert.equal(await runOnce(bin, "binary", "second, in binary"), 3);
    await assertVouchesFor(bin, "chain.bin");
    // chain.json goes its own way (the pending journal, chain.pending, is shared by name too,
    // so the message mined into chain.bin may be mined into chain.json as well).
    const jsonLength = await runOnce(json, "json", "third, in json");
    assert.ok(jsonLength >= 3, `chain.json grew: ${jsonLength} blocks`);
    await assertVouchesFor(json, "chain.json");
    assert.equal(await runOnce(bin, "binary"), 3);
    await assertVouchesFor(bin, "chain.bin");
    assert.equal(await runOnce(json, "json"), jsonLength);

    for (const [path, blocks] of [
      [json, jsonLength],
      [bin, 3],
    ] as const) {
      const verified = await runCli(["verify", path, "--difficulty", "2"]);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stdout, new RegExp(`^valid: ${blocks} blocks`));
      assert.equal(verified.stderr, "", "no .hash warning for a .hash that is another file's");
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the file the .hash vouches for is still held to it: a change behind its back stops its start", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-side-by-side-"));
  try {
    const bin = join(dir, "chain.bin");
    const json = join(dir, "chain.json");
    await runOnce(bin, "binary", "mined in binary");
    const converted = await runCli(["convert", bin, json, "--to", "json"]);
    assert.equal(converted.code, 0, converted.stderr);
    await runOnce(json, "json");
    await assertVouchesFor(json, "chain.json");

    // Still a valid chain (the original's proof does not cover the data), but not the one saved.
    const saved = await readFile(json, "utf8");
    await writeFile(json, saved.replace("mined in binary", "changed by hand"));
    const refused = await runCli(["miner", "start", json, "--port", "0", ...ARGS]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /block 1 changed since the last backup/);

    // chain.bin is not held to chain.json's digest: it starts, and the .hash becomes its own.
    assert.equal(await runOnce(bin, "binary"), 2);
    await assertVouchesFor(bin, "chain.bin");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
