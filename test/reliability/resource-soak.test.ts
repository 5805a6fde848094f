import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { newDataId } from "../../src/core/data.js";
import { writeChainFile } from "../../src/storage/file/chain-file.js";
import { buildChain } from "../helpers/chain-factory.js";
import { BIN, getJson, postJson } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

/*
 * Memory and connection attacks on a real node, only with BLOCKCHAIN_SOAK=1:
 * `npm run build && BLOCKCHAIN_SOAK=1 node scripts/run-tests.mjs resource-soak`.
 * Each prints its RSS figures (before, peak, after); BLOCKCHAIN_SOAK_MINUTES
 * (default 3) sets how long the idle-connection attack lasts (a third of it, at least 20 s).
 */
const SOAK = process.env.BLOCKCHAIN_SOAK === "1";
const SKIP = SOAK ? false : "set BLOCKCHAIN_SOAK=1 to run the soak tests";
const MINUTES = Number(process.env.BLOCKCHAIN_SOAK_MINUTES ?? 3);

/** A node process started by these tests (optionally under `prlimit`). */
interface Spawned {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function spawnNode(chainPath: string, args: string[], wrap: string[] = []): Promise<Spawned> {
  const command = [
    ...wrap,
    process.execPath,
    BIN,
    "miner",
    "start",
    chainPath,
    "--port",
    "0",
    ...args,
  ];
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    text = (text + chunk).slice(-20_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'listening on' line:\n${text}`)), 60_000);
    child.stdout?.on("data", (chunk: string) => {
      text = (text + chunk).slice(-20_000);
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before listening:\n${text}`)));
  });
  return { child, url, output: () => text };
}

async function stopNode(node: Spawned | undefined): Promise<void> {
  if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return;
  const exited = new Promise((resolve) => node.child.once("exit", resolve));
  node.child.kill("SIGTERM");
  const timer = setTimeout(() => node.child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Resident memory of a process, in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

/** Samples a process's RSS every 200 ms until stopped; the peak. */
function sampleRss(pid: number): { stop: () => number } {
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // The process ended: the peak so far stands.
    }
  }, 200);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** How many sockets a process has open (Linux /proc). */
function socketCount(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) count++;
    } catch {
      // Closed meanwhile.
    }
  }
  return count;
}

/**
 * Opens a connection and sends `request` (if any). `read: false`: never reads
 * (such a client does not even see the node close it); true: reads and drops.
 */
function openStalled(
  port: number,
  request?: string,
  read = false,
  from = "127.0.0.1",
): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: from }, () => {
      if (read) socket.resume();
      else socket.pause();
      if (request) socket.write(request);
      resolve(socket);
    });
    socket.on("error", () => resolve(null));
  });
}

test("a read attack (400 unread 16 MB /blocks pages, 48 unread /data of a full pending set) leaves memory bounded", {
  skip: SKIP,
  timeout: 15 * 60_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-read-attack-"));
  let node: Spawned | undefined;
  const sockets: Socket[] = [];
  try {
    const chainPath = join(dir, "chain.json");
    await writeChainFile(
      chainPath,
      "json",
      buildChain(1001, { difficulty: 1, messages: ["m".repeat(16 * 1024), "q".repeat(16 * 1024)] }),
    );
    node = await spawnNode(chainPath, [
      "--difficulty",
      "1",
      "--no-mine",
      "--workers",
      "1",
      "--log-level",
      "warn",
    ]);
    const pid = node.child.pid as number;
    const url = node.url;
    const port = Number(new URL(url).port);
    // A full pending set: 9,000 messages of 16 KiB (about 140 MiB), relayed 400 at a time.
    for (let sent = 0; sent < 9_000; sent += 400) {
      const data = Array.from({ length: 400 }, () => ({
        id: newDataId(),
        message: "p".repeat(16 * 1024),
      }));
      const answer = await postJson(`${url}/data`, { data });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    await delay(2_000);
    const before = rssMiB(pid);
    const baseSockets = socketCount(pid);
    const sampler = sampleRss(pid);
    const host = `Host: 127.0.0.1:${port}\r\n`;
    for (let i = 0; i < 400; i++) {
      const s = await openStalled(port, `GET /blocks?from=1&limit=1000 HTTP/1.1\r\n${host}\r\n`);
      if (s) sockets.push(s);
    }
    for (let i = 0; i < 48; i++) {
      const s = await openStalled(port, `GET /data HTTP/1.1\r\n${host}\r\n`);
      if (s) sockets.push(s);
    }
    // While they hang there, the node serves everyone else.
    for (let i = 0; i < 20; i++) {
      const status = await getJson<{ length: number }>(`${url}/status`);
      assert.equal(status.length, 1001);
      await delay(500);
    }
    // The stalled clients are dropped (30 s without progress), and the memory goes back.
    // Seen from the node (a client that does not read does not see it close either).
    await waitFor(() => socketCount(pid) <= baseSockets + 5, {
      timeoutMs: 90_000,
      what: "the node to drop the clients that do not read",
    });
    const peak = sampler.stop();
    await delay(3_000);
    const after = rssMiB(pid);
    process.stdout.write(
      `# read attack RSS: before ${before.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, after ${after.toFixed(0)} MiB ` +
        `(${sockets.length} unread answers)\n`,
    );
    assert.ok(peak - before < 256, `RSS grew by ${(peak - before).toFixed(0)} MiB`);
    assert.equal(node.child.exitCode, null, "the node still runs");
  } finally {
    for (const s of sockets) s.destroy();
    await stopNode(node);
    await rm(dir, { recursive: true, force: true });
  }
});

test("10x the open-file limit in idle connections: the node keeps serving its neighbour and saving its chain", {
  skip: SKIP,
  timeout: 15 * 60_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-idle-attack-"));
  const NOFILE = 256;
  const ATTACKERS = 10 * NOFILE;
  let target: Spawned | undefined;
  let follower: Spawned | undefined;
  const attackers = new Set<Socket>();
  let attacking = true;
  try {
    const chainPath = join(dir, "a", "chain.json");
    const common = ["--difficulty", "2", "--workers", "1", "--log-level", "warn"];
    target = await spawnNode(
      chainPath,
      [...common, "--backup-interval", "0.5"],
      ["prlimit", `--nofile=${NOFILE}:${NOFILE}`],
    );
    const port = Number(new URL(target.url).port);
    follower = await spawnNode(join(dir, "b", "chain.json"), [
      ...common,
      "--no-mine",
      "--neighbours",
      `127.0.0.1:${port}`,
      "--chain-sync-interval",
      "0.5",
    ]);
    const pid = target.child.pid as number;
    const before = rssMiB(pid);
    const sampler = sampleRss(pid);

    // The attack: keep ATTACKERS idle connections open, opening a new one for each the node closes.
    const keepOne = async (): Promise<void> => {
      if (!attacking) return;
      // Idle, from another host (127.0.0.2): connects, sends nothing, and reconnects
      // as soon as the node closes it.
      const socket = await openStalled(port, undefined, true, "127.0.0.2");
      if (!socket) {
        await delay(20);
        return keepOne();
      }
      attackers.add(socket);
      socket.once("close", () => {
        attackers.delete(socket);
        void keepOne();
      });
    };
    for (let i = 0; i < ATTACKERS; i++) void keepOne();

    const seconds = Math.max(20, (MINUTES * 60) / 3);
    const end = Date.now() + seconds * 1000;
    let added = 0;
    let retries = 0;
    while (Date.now() < end) {
      // A client retries a request the node dropped (it cannot tell it from a lost packet).
      for (let attempt = 0; ; attempt++) {
        try {
          const answer = await postJson(`${target.url}/add`, { message: `under attack ${added}` });
          if (answer.status === 200) break;
        } catch {
          // Dropped to make room: try again.
        }
        retries++;
        assert.ok(attempt < 20, "an add got through within 20 attempts");
        await delay(100);
      }
      added++;
      await delay(1_000);
    }
    const length = await waitFor(
      async () => {
        const status = await getJson<{ length: number; pending: number }>(`${target?.url}/status`);
        return status.pending === 0 && status.length;
      },
      { timeoutMs: 60_000, what: "every message to be mined" },
    );
    await waitFor(
      async () => (await getJson<{ length: number }>(`${follower?.url}/status`)).length === length,
      { timeoutMs: 60_000, what: "the neighbour to sync while the attack goes on" },
    );
    await waitFor(
      async () => (await readFile(chainPath, "utf8")).trim().split("\n").length === length,
      { timeoutMs: 30_000, what: "the chain file to hold every block" },
    );
    const held = attackers.size;
    attacking = false;
    for (const s of attackers) s.destroy();
    const peak = sampler.stop();
    await delay(3_000);
    const after = rssMiB(pid);
    process.stdout.write(
      `# idle attack RSS: before ${before.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, after ${after.toFixed(0)} MiB ` +
        `(${ATTACKERS} idle connections kept up against an open-file limit of ${NOFILE}; ${held} open at the end; ` +
        `${added} adds in ${seconds} s, ${retries} retried; chain ${length} blocks)\n`,
    );
    assert.doesNotMatch(target.output(), /EMFILE/, "no 'too many open files' in the node's output");
    assert.equal(target.child.exitCode, null, "the node still runs");
  } finally {
    attacking = false;
    for (const s of attackers) s.destroy();
    await stopNode(follower);
    await stopNode(target);
    await rm(dir, { recursive: true, force: true });
  }
});
