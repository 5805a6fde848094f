import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { buildClientProgram, CLIENT_COMMAND_WORDS } from "../../src/cli/client-main.js";
import { buildProgram } from "../../src/cli/main.js";
import { BIN, freePort, NodeProcess } from "../helpers/node-process.js";

/*
 * The client commands (add, get ...) run from a bundle of their own
 * (src/cli/client-main.ts, dist/src/bundle/client.cjs), chosen by
 * bin/blockchain from the command word. They must answer exactly as the whole
 * CLI does: here the same command lines, against the same real node, through
 * this checkout's command (client bundle) and through a copy of it that has
 * only the whole CLI's bundle, compared output for output and exit code for
 * exit code.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <bin> ...args` to its end, bounded by a deadline. */
function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`blockchain ${args.join(" ")} did not finish within 20 s`));
    }, 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the client commands' own bundle", () => {
  let node: NodeProcess;
  let dir = "";
  let wholeBin = "";
  let cacheDir = "";

  before(async () => {
    node = await NodeProcess.start({
      args: ["--no-mine", "--workers", "1", "--log-level", "warn"],
    });
    // A copy of the command with the whole CLI's bundle only: every word runs the whole CLI.
    dir = mkdtempSync(join(tmpdir(), "bc-client-bundle-"));
    cacheDir = join(dir, "dist/src/bundle/code-cache");
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "dist/src/cli"), { recursive: true });
    mkdirSync(join(dir, "dist/src/bundle"), { recursive: true });
    for (const file of ["bin/blockchain", "bin/package.json", "package.json"]) {
      copyFileSync(join(ROOT, file), join(dir, file));
    }
    writeFileSync(join(dir, "dist/src/cli/main.js"), "");
    utimesSync(join(dir, "dist/src/cli/main.js"), new Date(0), new Date(0));
    copyFileSync(
      join(ROOT, "dist/src/bundle/blockchain.cjs"),
      join(dir, "dist/src/bundle/blockchain.cjs"),
    );
    wholeBin = join(dir, "bin/blockchain");
  });
  after(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves exactly the words bin/blockchain sends to it, registered as in the whole CLI", () => {
    const bin = readFileSync(join(ROOT, "bin/blockchain"), "utf8");
    const listed = /const CLIENT_COMMAND_WORDS = new Set\((\[[^\]]*\])\)/.exec(bin)?.[1];
    assert.ok(listed, "bin/blockchain lists the client words");
    assert.deepEqual(JSON.parse(listed), [...CLIENT_COMMAND_WORDS]);
    const client = buildClientProgram();
    const whole = buildProgram();
    assert.deepEqual(
      client.commands.map((c) => c.name()),
      [...CLIENT_COMMAND_WORDS],
    );
    for (const word of CLIENT_COMMAND_WORDS) {
      const mine = client.commands.find((c) => c.name() === word);
      const theirs = whole.commands.find((c) => c.name() === word);
      assert.ok(mine && theirs, word);
      const subcommands = (c: typeof mine) => [c, ...c.commands];
      assert.deepEqual(
        subcommands(mine).map((c) => c.helpInformation()),
        subcommands(theirs).map((c) => c.helpInformation()),
        `${word}: the same subcommands, arguments and flags`,
      );
    }
  });

  it("answers, refuses and fails as the whole CLI does", async () => {
    const port = String(node.port);
    const closedPort = String(await freePort());
    const lines: string[][] = [
      ["get", "status", "--port", port],
      ["get", "status", "--port", port, "--json"],
      ["get", "chain", "--port", port],
      ["get", "block", "0", "--port", port],
      ["get", "block", "7", "--port", port],
      ["get", "message", "0123456789abcdef0123456789abcdef", "--port", port],
      ["get", "data", "--port", port],
      ["get", "neighbours", "--port", port, "--json"],
      ["get", "status", "--port", closedPort],
      ["get", "status", "--port", "99999"],
      ["get", "block", "minus-one", "--port", port],
      ["get", "nothing"],
      ["get", "status", "--no-such-flag"],
      ["get"],
      ["add"],
      ["get", "--help"],
      ["get", "block", "--help"],
      ["add", "--help"],
    ];
    for (const args of lines) {
      const [viaClient, viaWhole] = await Promise.all([run(BIN, args), run(wholeBin, args)]);
      // The node's own fields that move between two calls.
      const steady = (text: string) => text.replace(/"uptime_s":[\d.]+/g, '"uptime_s":0');
      assert.deepEqual(
        { ...viaClient, stdout: steady(viaClient.stdout) },
        { ...viaWhole, stdout: steady(viaWhole.stdout) },
        `blockchain ${args.join(" ")}`,
      );
    }
    // A message added through each is on the node, each with its own id.
    const added = await Promise.all([
      run(BIN, ["add", "via the client bundle", "--port", port]),
      run(wholeBin, ["add", "via the whole CLI", "--port", port]),
    ]);
    for (const { code, stdout } of added) {
      assert.equal(code, 0);
      assert.match(stdout, /^[0-9a-f]{32}\n$/);
    }
    const pending = await run(BIN, ["get", "data", "--port", port]);
    assert.match(pending.stdout, /via the client bundle/);
    assert.match(pending.stdout, /via the whole CLI/);
  });

  it("writes its own code cache, and the whole CLI answers where it is missing", async () => {
    const args = ["get", "status", "--port", String(node.port), "--json"];
    const words = () => readdirNames(cacheDir).map((name) => name.replace(/-\d+-\d+\.v8$/, ""));
    const viaWhole = await run(wholeBin, args);
    assert.equal(viaWhole.code, 0, viaWhole.stderr);
    assert.ok(words().includes("blockchain-get"), "the copy without client.cjs ran the whole CLI");
    assert.ok(!words().includes("client-get"));
    copyFileSync(join(ROOT, "dist/src/bundle/client.cjs"), join(dir, "dist/src/bundle/client.cjs"));
    const viaClient = await run(wholeBin, args);
    assert.equal(viaClient.code, 0, viaClient.stderr);
    assert.ok(words().includes("client-get"), "with client.cjs beside it, `get` runs it");
    assert.equal(
      viaClient.stdout.replace(/"uptime_s":[\d.]+/, ""),
      viaWhole.stdout.replace(/"uptime_s":[\d.]+/, ""),
    );
    const miner = await run(wholeBin, ["miner", "start", "--help"]);
    assert.equal(miner.code, 0, miner.stderr);
    assert.ok(
      readdirNames(cacheDir).some((name) => name.startsWith("blockchain-miner-")),
      "any other word runs the whole CLI",
    );
  });

  it("leaves `blockchain --help` to the whole CLI, which lists every command", async () => {
    const help = await run(BIN, ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    for (const command of buildProgram().commands) {
      assert.match(help.stdout, new RegExp(`^  ${command.name()}\\b`, "m"), command.name());
    }
  });
});

/** The code caches in `path`, sorted; none when the folder is not there yet. */
function readdirNames(path: string): string[] {
  try {
    return readdirSync(path)
      .filter((name) => name.endsWith(".v8"))
      .sort();
  } catch {
    return [];
  }
}
