// Attack 8 of issue 12: a flipped byte in the tip's message of a JSON chain
// file was loaded, the .hash mismatch "fixed" with a warning. Now the start
// stops with exit 1 naming the block, unless --accept-modified-chain.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { NodeProcess } from "../helpers/node-process.js";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

interface Length {
  length: number;
}

test("a chain file whose tip message changed after the last backup does not start without consent", async () => {
  await withTempDir(async (dir) => {
    const chainPath = join(dir, "chain.json");
    const node = await NodeProcess.start({
      chainPath,
      args: ["--difficulty", "2", "--workers", "1", "--backup-interval", "0.2"],
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${node.url}/add?message=acknowledged%20${i}`, { method: "PUT" });
        assert.equal(res.status, 200);
      }
      await waitFor(
        async () => ((await (await fetch(`${node.url}/status`)).json()) as Length).length === 4,
        { what: "the three messages mined" },
      );
    } finally {
      await node.stop();
    }
    const lines = (await readFile(chainPath, "utf8")).trimEnd().split("\n");
    assert.equal(lines.length, 4);
    // Flip one byte of the tip's message: still a valid chain under the original rule.
    lines[3] = (lines[3] as string).replace("acknowledged", "acknowledgeD");
    await writeFile(chainPath, `${lines.join("\n")}\n`);
    const before = await readFile(chainPath);
    const refused = await runCli(
      ["miner", "start", chainPath, "--port", "0", "--difficulty", "2"],
      {
        timeoutMs: 30_000,
      },
    );
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /block 3 changed since the last backup/);
    assert.match(refused.stderr, /--accept-modified-chain/);
    assert.deepEqual(await readFile(chainPath), before);
    const accepted = await NodeProcess.start({
      chainPath,
      args: ["--difficulty", "2", "--workers", "1", "--accept-modified-chain"],
    });
    try {
      const status = (await (await fetch(`${accepted.url}/status`)).json()) as Length;
      assert.equal(status.length, 4);
    } finally {
      await accepted.stop();
    }
  });
});
