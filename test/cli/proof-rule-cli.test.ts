import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { buildChain } from "../helpers/chain-factory.js";
import { devnetBasePort } from "../helpers/devnet-process.js";
import { BIN, getJson } from "../helpers/node-process.js";
import { withTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const D = 3;
const ORIGINAL_CHAIN = buildChain(6, { difficulty: D });
const CONTENT_CHAIN = buildChain(6, { difficulty: D, rule: "content" });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/blockchain ...args` to its end (killed after 30 s). */
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("verify --proof-rule content accepts a content chain; the default rule refuses it and names the rule it follows", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    await writeChainFile(path, "json", CONTENT_CHAIN);
    const tip = hashBlock(CONTENT_CHAIN[CONTENT_CHAIN.length - 1] as Block);
    const ok = await cli("verify", path, "--difficulty", String(D), "--proof-rule", "content");
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `valid: ${CONTENT_CHAIN.length} blocks, tip ${tip}\n`);
    const refused = await cli("verify", path, "--difficulty", String(D));
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /^invalid: block 1: proof \d+ is not a valid proof of work/);
    assert.match(refused.stdout, /seems to follow the 'content' proof rule/);
    const snake = await cli("verify", path, "--difficulty", String(D), "--proof_rule", "content");
    assert.equal(snake.code, 0, snake.stderr);
  });
});

test("a node refuses to start on a chain file of the other rule: exit 1, names the rule, file untouched", async () => {
  await withTempDir(async (dir) => {
    for (const [chain, nodeRule, fileRule] of [
      [ORIGINAL_CHAIN, "content", "original"],
      [CONTENT_CHAIN, "original", "content"],
    ] as const) {
      const path = join(dir, `${fileRule}.json`);
      await writeChainFile(path, "json", chain);
      const before = await readFile(path);
      const run = await cli(
        "miner",
        "start",
        path,
        "--port",
        "0",
        "--difficulty",
        String(D),
        "--proof-rule",
        nodeRule,
        "--log-level",
        "silent",
      );
      assert.equal(run.code, 1, `${nodeRule} node: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`seems to follow the '${fileRule}' proof rule`));
      assert.match(run.stderr, new RegExp(`--proof-rule ${fileRule}`));
      assert.doesNotMatch(run.stdout, /listening on/);
      assert.deepEqual(await readFile(path), before);
    }
  });
});

test("--proof-rule takes only original or content (exit 2), and every command's help names it", async () => {
  const bad = await cli("miner", "start", "/nonexistent/chain.json", "--proof-rule", "bitcoin");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--proof-rule/);
  for (const command of [["miner", "start"], ["devnet"], ["verify"], ["import"]]) {
    const help = await cli(...command, "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--proof-rule <rule>/, command.join(" "));
    assert.match(help.stdout, /original/);
  }
});

test("devnet --proof-rule content starts nodes that follow the content rule", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-devnet-rule-"));
  const base = await devnetBasePort(2);
  const args = ["devnet", "--nodes", "2", "--base-port", String(base), "--difficulty", "2"];
  args.push("--dir", dir, "--workers", "1", "--proof-rule", "content");
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.stderr.resume();
    await waitFor(() => out.includes("devnet ready"), { timeoutMs: 30_000, what: "devnet ready" });
    assert.match(out, /proof rule content/);
    const urls = [...out.matchAll(/^node-\d+ (http:\/\/\S+)$/gm)].map((m) => m[1] as string);
    assert.equal(urls.length, 2);
    for (const url of urls) {
      assert.equal((await getJson<{ proof_rule: string }>(`${url}/status`)).proof_rule, "content");
    }
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
});
