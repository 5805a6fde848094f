import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/*
 * bin/blockchain runs the CLI's bundle with a V8 code cache beside it (see
 * bin/blockchain). Here on a copy of the command and its bundle in a
 * temporary folder, so that the checkout's own cache is not touched: the
 * first run writes the cache of its command word, the next one uses it as it
 * is, a damaged cache is refused and replaced, and the output never changes.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("the CLI's code cache", () => {
  let dir = "";
  let cacheDir = "";
  const run = (env: NodeJS.ProcessEnv = {}) => {
    const result = spawnSync(
      process.execPath,
      [join(dir, "bin/blockchain"), "get", "status", "--help"],
      { encoding: "utf8", timeout: 30_000, env: { ...process.env, ...env } },
    );
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  };
  const caches = () => {
    try {
      return readdirSync(cacheDir);
    } catch {
      return [];
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "bc-code-cache-"));
    cacheDir = join(dir, "dist/src/bundle/code-cache");
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "dist/src/cli"), { recursive: true });
    mkdirSync(join(dir, "dist/src/bundle"), { recursive: true });
    copyFileSync(join(ROOT, "bin/blockchain"), join(dir, "bin/blockchain"));
    copyFileSync(join(ROOT, "bin/package.json"), join(dir, "bin/package.json"));
    copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
    // The compiled files only say how new they are: older than the bundle, which then runs.
    writeFileSync(join(dir, "dist/src/cli/main.js"), "");
    utimesSync(join(dir, "dist/src/cli/main.js"), new Date(0), new Date(0));
    copyFileSync(
      join(ROOT, "dist/src/bundle/blockchain.cjs"),
      join(dir, "dist/src/bundle/blockchain.cjs"),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is written by the first run, used as it is by the next, and replaced when damaged", () => {
    const uncached = run({ BLOCKCHAIN_CODE_CACHE: "off" });
    assert.match(uncached, /Usage: blockchain get status/);
    assert.deepEqual(caches(), [], "BLOCKCHAIN_CODE_CACHE=off writes no cache");

    assert.equal(run(), uncached);
    const [name, ...others] = caches();
    assert.match(
      name ?? "",
      /^blockchain-get-\d+-\d+\.v8$/,
      "named after the bundle, the command word and the bundle's size and time",
    );
    assert.deepEqual(others, []);
    const path = join(cacheDir, name as string);
    const written = readFileSync(path);
    assert.ok(written.length > 10_000, `a cache of ${written.length} bytes`);
    const inode = statSync(path).ino;

    assert.equal(run(), uncached);
    // A cache is written by renaming a new file over it: the same inode means it was not written again.
    assert.equal(statSync(path).ino, inode, "an accepted cache is not written again");
    assert.deepEqual(readFileSync(path), written);

    const damaged = Buffer.from(written);
    damaged.fill(0x5a, 0, 64);
    writeFileSync(path, damaged);
    assert.equal(run(), uncached, "a damaged cache does not change what the command does");
    assert.notEqual(statSync(path).ino, inode, "a refused cache is written again");
    const replaced = readFileSync(path);
    assert.notDeepEqual(replaced.subarray(0, 64), damaged.subarray(0, 64), "and is replaced");
    assert.deepEqual(caches(), [name], "no temporary file is left");
  });
});
