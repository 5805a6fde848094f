import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";

let bashScript = "";
let zshScript = "";
before(async () => {
  bashScript = (await runCli(["completion", "bash"])).stdout;
  zshScript = (await runCli(["completion", "zsh"])).stdout;
});

/** What bash completes for the words typed so far (the last one being completed). */
function bashComplete(dir: string, words: string[]): string[] {
  const line = ["blockchain", ...words];
  const script = `source ${join(dir, "completion.bash")}
COMP_WORDS=(${line.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${line.length - 1}
_blockchain; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const run = spawnSync("bash", ["--norc", "-c", script], { encoding: "utf8", timeout: 10_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.split("\n").filter(Boolean);
}

test("bash completes commands, subcommands and each command's flags", async () => {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, "completion.bash"), bashScript);
    assert.deepEqual(
      bashComplete(dir, [""])
        .filter((w) => !w.startsWith("-"))
        .sort(),
      [
        "add",
        "completion",
        "convert",
        "devnet",
        "get",
        "import",
        "keygen",
        "miner",
        "tls-init",
        "token",
        "ui",
        "verify",
        "watch",
      ],
    );
    assert.deepEqual(bashComplete(dir, ["get", "b"]), ["block"]);
    assert.deepEqual(bashComplete(dir, ["miner", "start", "chain.json", "--log-f"]), [
      "--log-format",
    ]);
    assert.deepEqual(bashComplete(dir, ["devnet", "--fr"]), ["--fresh"]);
    assert.deepEqual(bashComplete(dir, ["watch", "--tls"]), ["--tls-ca"]);
    assert.ok(bashComplete(dir, ["add", "hello", "--"]).includes("--json"));
  });
});

const zsh = ["/usr/bin/zsh", "/bin/zsh"].find((path) => existsSync(path));

test("zsh completes the same words, with their descriptions", {
  skip: zsh ? false : "zsh is not installed (.ci/run installs it)",
}, async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "completion.zsh");
    await writeFile(file, zshScript);
    const syntax = spawnSync(zsh as string, ["-n", file], { encoding: "utf8" });
    assert.equal(syntax.status, 0, syntax.stderr);
    // Outside a completion widget, _describe and friends are stood in for by printers.
    const complete = (words: string[]) => {
      const script = `compdef() { :; }
_describe() { local name=$4; print -rl -- "\${(@P)name}"; }
_files() { print -r -- FILES; }
source ${file}
words=(blockchain ${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length + 1}
_blockchain`;
      const run = spawnSync(zsh as string, ["-f", "-c", script], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.split("\n").filter(Boolean);
    };
    assert.ok(complete(["get", "b"]).includes("block:one block by index, with its hash"));
    assert.ok(
      complete(["miner", "start", "c.json", "--"]).some((w) => w.startsWith("--log-format:")),
    );
    assert.deepEqual(complete(["verify", ""]), ["FILES"]);
  });
});
