import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Block } from "../src/core/block.js";
import { genesisBlock } from "../src/core/genesis.js";
import { hashBlock } from "../src/core/hash.js";
import { proofOfWork } from "../src/core/pow.js";

/*
 * Chain sync speed: a node serving a 100,000-block chain (difficulty 1, fed to
 * it with POST /blocks), and a fresh node whose only neighbour it is; measures
 * blocks per second from the fresh node serving to it holding the whole chain.
 */

const BIN = fileURLToPath(new URL("../../bin/blockchain", import.meta.url));
const LENGTH = Number(process.env.BENCH_SYNC_LENGTH ?? 100_000);
const COMMON = ["--difficulty", "1", "--no-mine", "--log-level", "error", "--workers", "1"];

function buildChain(length: number): Block[] {
  const chain = [genesisBlock()];
  for (let i = 1; i < length; i++) {
    const parent = chain[i - 1] as Block;
    chain.push({
      index: i,
      timestamp: 1_700_000_000_000 + i,
      data: { id: i.toString(16).padStart(32, "0"), message: `block ${i}` },
      previous_hash: hashBlock(parent),
      proof: proofOfWork(parent.proof, 1),
    });
  }
  return chain;
}

async function startNode(
  dir: string,
  args: string[],
): Promise<{ child: ChildProcess; url: string; at: number }> {
  const child = spawn(
    process.execPath,
    [BIN, "miner", "start", join(dir, "chain.json"), "--port", "0", ...COMMON, ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  child.stdout?.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: string) => {
      text += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) resolve({ child, url: match[1] as string, at: performance.now() });
    });
    child.once("exit", (code) => reject(new Error(`node exited (${code}) before listening`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function status(url: string): Promise<{ length: number }> {
  const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as { length: number };
}

const built = performance.now();
const chain = buildChain(LENGTH);
console.log(
  `built a ${LENGTH}-block chain in ${((performance.now() - built) / 1000).toFixed(1)} s`,
);
const root = await mkdtemp(join(tmpdir(), "bc-bench-sync-"));
const source = await startNode(join(root, "source"), ["--chain-sync-interval", "3600"]);
let fresh: ChildProcess | null = null;
try {
  for (let from = 1; from < LENGTH; from += 1000) {
    const res = await fetch(`${source.url}/blocks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blocks: chain.slice(from, from + 1000) }),
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 200)
      throw new Error(`feeding the source node: ${res.status} ${await res.text()}`);
  }
  if ((await status(source.url)).length !== LENGTH)
    throw new Error("the source node does not hold the chain");
  const address = new URL(source.url).host;
  const node = await startNode(join(root, "fresh"), [
    "--neighbours",
    address,
    "--chain-sync-interval",
    "3600",
  ]);
  fresh = node.child;
  for (;;) {
    if ((await status(node.url)).length >= LENGTH) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const seconds = (performance.now() - node.at) / 1000;
  console.log(
    `synced ${LENGTH - 1} blocks from one neighbour in ${seconds.toFixed(2)} s: ${Math.round((LENGTH - 1) / seconds)} blocks/s`,
  );
} finally {
  if (fresh) await stop(fresh);
  await stop(source.child);
  await rm(root, { recursive: true, force: true });
}
