import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { withTempDir } from "../helpers/temp-dir.js";

/*
 * scripts/lazy-builtins.mjs, the esbuild plugin of the CLI's bundles: a listed
 * built-in module is loaded when one of its properties is first read, and
 * then is the real module, whether it was imported (our ES modules) or
 * required (dependencies). Built here on a tiny entry and run in a fresh
 * process that reports which built-in modules Node has loaded.
 */

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const { lazyBuiltins } = (await import(
  pathToFileURL(join(REPO, "scripts/lazy-builtins.mjs")).href
)) as { lazyBuiltins: (names: string[]) => unknown };

/**
 * An ES module importing node:zlib and node:dgram, and a CommonJS one requiring
 * node:zlib (neither module loads the other). `real` is Node's own require,
 * out of esbuild's sight.
 */
const ENTRY = `
import * as zlib from "node:zlib";
import { createSocket } from "node:dgram";
import { required } from "./required.cjs";
const real = (name) => eval("require")(name);
const loaded = (name) => process.moduleLoadList.includes("NativeModule " + name);
const report = { before: { zlib: loaded("zlib"), dgram: loaded("dgram") } };
report.sameConstants = required.constants === real("node:zlib").constants;
report.afterRead = { zlib: loaded("zlib"), dgram: loaded("dgram") };
report.sameFunction = createSocket === real("node:dgram").createSocket;
report.afterDgram = loaded("dgram");
report.crc32 = typeof zlib.crc32;
console.log(JSON.stringify(report));
`;

describe("built-in modules loaded on first use", () => {
  it("loads a listed module at the first read of a property, as the real module", async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, "entry.mjs"), ENTRY);
      await writeFile(join(dir, "required.cjs"), 'exports.required = require("node:zlib");\n');
      const outfile = join(dir, "out.cjs");
      await build({
        entryPoints: [join(dir, "entry.mjs")],
        bundle: true,
        format: "cjs",
        platform: "node",
        target: "node20",
        outfile,
        plugins: [lazyBuiltins(["zlib", "dgram"]) as never],
        logLevel: "error",
      });
      const run = spawnSync(process.execPath, [outfile], { encoding: "utf8", timeout: 20_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        before: { zlib: false, dgram: false },
        sameConstants: true,
        afterRead: { zlib: true, dgram: false },
        sameFunction: true,
        afterDgram: true,
        crc32: "function",
      });
    });
  });

  it("refuses, at build time, a module that is a function or has methods of its own class", () => {
    assert.throws(() => lazyBuiltins(["assert"]), /node:assert is not a plain object/);
    assert.throws(() => lazyBuiltins(["cluster"]), /node:cluster is not a plain object/);
  });
});
