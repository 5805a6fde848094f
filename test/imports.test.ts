import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { withTempDir } from "./helpers/temp-dir.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CHECKER = join(REPO, "scripts", "check-imports.mjs");

/** Runs the import checker on a source tree, as `npm run check:imports` does. */
function check(root: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [CHECKER, root], { encoding: "utf8" });
  return { status: run.status, output: run.stdout + run.stderr };
}

/** Writes a tiny source tree: path -> the modules it imports. */
async function tree(root: string, files: Record<string, string[]>): Promise<void> {
  for (const [path, imports] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    const lines = imports.map((spec, i) => `import { x${i} } from "${spec}";`);
    await writeFile(join(root, path), `${lines.join("\n")}\nexport const x = 1;\n`);
  }
}

describe("imports", () => {
  it("in src all point down the folder order and run in no circle", () => {
    const { status, output } = check(join(REPO, "src"));
    assert.equal(status, 0, output);
  });

  it("a lower folder importing a higher one is reported", async () => {
    await withTempDir(async (root) => {
      await tree(root, {
        "core/hash.ts": [],
        "net/network.ts": ["../core/hash.js"],
        "chain/chain-state.ts": ["../net/network.js"],
      });
      const { status, output } = check(root);
      assert.equal(status, 1);
      assert.match(
        output,
        /chain\/chain-state\.ts imports net\/network\.ts: 'chain' may not import 'net'/,
      );
      assert.doesNotMatch(output, /net\/network\.ts imports/);
    });
  });

  it("files importing each other in a loop are reported, type-only imports included", async () => {
    await withTempDir(async (root) => {
      await tree(root, {
        "storage/a.ts": ["./b.js"],
        "storage/b.ts": ["./c.js"],
        "storage/c.ts": [],
      });
      await writeFile(join(root, "storage/c.ts"), 'import type { x } from "./a.js";\n');
      const { status, output } = check(root);
      assert.equal(status, 1);
      assert.match(output, /import circle: storage\/a\.ts <-> storage\/b\.ts <-> storage\/c\.ts/);
    });
  });
});
