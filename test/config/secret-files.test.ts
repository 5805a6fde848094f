import assert from "node:assert/strict";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  addWriter,
  cookieTokenFor,
  generateNetworkKey,
  parseTokenFile,
  readNetworkKey,
  readTokenFile,
  SecretFileError,
  WriterTokens,
  writeCookie,
} from "../../src/config/secret-files.js";
import { withTempDir } from "../helpers/temp-dir.js";

test("keygen writes 64 hex digits, mode 0600, and never overwrites", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "network.key");
    generateNetworkKey(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, "utf8"), /^[0-9a-f]{64}\n$/);
    assert.equal(readNetworkKey(file).length, 32);
    assert.throws(() => generateNetworkKey(file), /exists already/);
  });
});

test("a secret file its group or others may read is refused, naming it and its mode", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "network.key");
    generateNetworkKey(file);
    chmodSync(file, 0o604);
    assert.throws(
      () => readNetworkKey(file),
      (err: Error) =>
        err instanceof SecretFileError &&
        err.message.includes(`${file} has mode 0604`) &&
        err.message.includes("chmod 600"),
    );
  });
});

test("a token file keeps salted hashes only; each writer's token names that writer", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "writers");
    const alice = await addWriter(file, "alice");
    const bob = await addWriter(file, "bob");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, "utf8");
    assert.ok(!text.includes(alice) && !text.includes(bob));
    const writers = new WriterTokens(readTokenFile(file));
    assert.equal(writers.writerOf(alice), "alice");
    assert.equal(writers.writerOf(bob), "bob");
    // Alter one character for sure (the last one is 'A' one time in 16).
    const altered = `${alice.slice(0, -2)}${alice.at(-2) === "A" ? "B" : "A"}${alice.at(-1)}`;
    assert.notEqual(altered, alice);
    assert.equal(writers.writerOf(altered), null);
    assert.equal(writers.writerOf("not a token"), null);
    await assert.rejects(addWriter(file, "alice"), /has a writer 'alice' already/);
    await assert.rejects(addWriter(file, "bad name"), /not a writer name/);
  });
});

test("a malformed token file line is named", () => {
  assert.throws(() => parseTokenFile("w", "# ok\nalice sha256:zz:yy\n"), /malformed line 2/);
});

test("the cookie names the node's port; another port's cookie is not used", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, ".cookie");
    const token = await addWriter(join(dir, "writers"), "x");
    await writeCookie(file, "127.0.0.1:4567", token);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(cookieTokenFor(file, 4567), token);
    assert.equal(cookieTokenFor(file, 4568), null);
    writeFileSync(file, "garbage", { mode: 0o600 });
    assert.equal(cookieTokenFor(file, 4567), null);
  });
});
