import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { devnetBasePort } from "../helpers/devnet-process.js";
import { getJson } from "../helpers/node-process.js";
import { runCommand } from "../helpers/run-command.js";
import { waitFor } from "../helpers/wait-for.js";

/*
 * The package as a user gets it: `npm pack` of this checkout (its dist/ built by `npm test`),
 * installed globally into a temporary prefix, and the installed `blockchain` run from a folder
 * outside the repository against a node it starts itself.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
};
const npmMissing = spawnSync("npm", ["--version"], { encoding: "utf8" }).status !== 0;

/** Runs a command to its end (killed after `timeoutMs`) in `cwd`. */
const run = (command: string, args: string[], cwd: string, timeoutMs?: number) =>
  runCommand(command, args, { cwd, timeoutMs });

/** A long-running child of the installed `blockchain`, its output kept. */
function startInstalled(bin: string, args: string[], cwd: string) {
  const child: ChildProcess = spawn(bin, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (output += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    child,
    exited,
    output: () => output,
    /** SIGTERM (SIGINT for devnet), SIGKILL after 20 s; resolves to the exit code. */
    async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

describe("the npm package", {
  skip: npmMissing && "npm is not on the PATH",
  timeout: 300_000,
}, () => {
  let dir = "";
  let tarball = "";
  let bin = "";
  let installLog = "";
  const stops: (() => Promise<unknown>)[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "bc-package-"));
    // --ignore-scripts: dist/ is built already (npm test builds first); a rebuild here would
    // rewrite the files other tests are running from.
    const packed = await run(
      "npm",
      ["pack", "--ignore-scripts", "--json", "--pack-destination", dir],
      ROOT,
    );
    assert.equal(packed.code, 0, packed.stderr);
    const [entry] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(entry);
    tarball = join(dir, entry.filename);
    const prefix = join(dir, "prefix");
    // npm's own cache makes this work offline once the dependencies were installed here.
    const installed = await run(
      "npm",
      [
        "install",
        "--global",
        "--prefix",
        prefix,
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--foreground-scripts",
        tarball,
      ],
      dir,
      240_000,
    );
    installLog = installed.stdout + installed.stderr;
    assert.equal(installed.code, 0, installLog);
    bin = join(prefix, "bin", "blockchain");
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is named after the version, holds the built code and the native sources, and no tests, benches or fixtures", async () => {
    assert.equal(tarball.endsWith(`${PKG.name}-${PKG.version}.tgz`), true, tarball);
    const listed = await run("tar", ["tzf", tarball], dir);
    assert.equal(listed.code, 0, listed.stderr);
    const files = listed.stdout
      .trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
    for (const needed of [
      "bin/blockchain",
      "dist/src/cli/main.js",
      "dist/ui/index.html",
      "binding.gyp",
      "native/scanner.c",
      "scripts/build-native.mjs",
      "CHANGELOG.md",
      "README.md",
    ]) {
      assert.ok(files.includes(needed), `${needed} is in the package`);
    }
    const unwanted = files.filter((f) =>
      /^(test|bench|src|dist\/test|dist\/bench)\/|fixtures|\.test\.|\.tsbuildinfo$/.test(f),
    );
    assert.deepEqual(unwanted, []);
    assert.ok(statSync(tarball).size < 2_000_000, `${statSync(tarball).size} bytes`);
  });

  it("says in one line at install which mining engine the installed node uses", () => {
    const lines = installLog
      .split("\n")
      .filter((l) => /^native mining core (built|not built)/.test(l));
    assert.equal(lines.length, 1, installLog);
    assert.equal(
      existsSync(
        join(dir, "prefix", "lib", "node_modules", PKG.name, "node_modules", "typescript"),
      ),
      false,
      "no devDependencies installed",
    );
  });

  it("prints its version, and completion, from a folder outside the repository", async () => {
    const version = await run(bin, ["--version"], dir);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), PKG.version);
    const completion = await run(bin, ["completion", "bash"], dir);
    assert.equal(completion.code, 0, completion.stderr);
    assert.match(completion.stdout, /^complete (-o \S+ )?-F _blockchain blockchain$/m);
  });

  it("starts a miner that serves the explorer and the API, mines a message, and verifies its chain", async () => {
    const chain = join(dir, "node", "chain.json");
    const node = startInstalled(
      bin,
      ["miner", "start", chain, "--port", "0", "--difficulty", "2", "--workers", "1"],
      dir,
    );
    stops.push(() => node.stop());
    const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(node.output())?.[1], {
      what: "listening on",
      timeoutMs: 30_000,
    });
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await page.text(), /<script[^>]+src=/, "the explorer page loads its bundle");
    const status = await getJson<{ version: string }>(`${url}/status`);
    assert.equal(status.version, PKG.version);

    const port = new URL(url).port;
    const added = await run(bin, ["add", "from the installed package", "--port", port], dir);
    assert.equal(added.code, 0, added.stderr);
    const id = added.stdout.trim();
    await waitFor(
      async () => {
        const got = await run(bin, ["get", "message", id, "--port", port], dir);
        return got.code === 0 && /confirmed/.test(got.stdout);
      },
      { what: "the message confirmed", timeoutMs: 60_000 },
    );
    assert.equal(await node.stop(), 0, node.output());

    const verified = await run(bin, ["verify", chain], dir);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /^valid: 2 blocks/);
  });

  it("runs a devnet until Ctrl-C", async () => {
    const base = await devnetBasePort(2);
    const devnet = startInstalled(
      bin,
      [
        "devnet",
        "--nodes",
        "2",
        "--base-port",
        String(base),
        "--difficulty",
        "2",
        "--dir",
        join(dir, "devnet"),
      ],
      dir,
    );
    stops.push(() => devnet.stop("SIGINT"));
    await waitFor(() => devnet.output().includes("devnet ready"), {
      what: "devnet ready",
      timeoutMs: 60_000,
    });
    const status = await getJson<{ length: number }>(`http://127.0.0.1:${base + 1}/status`);
    assert.ok(status.length >= 1);
    assert.equal(await devnet.stop("SIGINT"), 0, devnet.output());
  });
});
