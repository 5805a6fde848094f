import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { chromiumMissing, launchChromium } from "../test/browser/browser.js";
import { startDevnet, stopDevnet } from "./lib/devnet.js";
import { freePortRange } from "./lib/ports.js";
import { recordResults } from "./lib/results.js";

/*
 * The network view following a devnet of BENCH_WATCH_NODES nodes (default 32)
 * on loopback at difficulty 1 while messages arrive at 5 a second (each is
 * mined into a block; nodes race for it, so forks come too). The watcher runs
 * as its own process (`blockchain watch`): its CPU and memory are read from
 * /proc. The page, in Chromium, records for each update the time from its
 * arrival to the paint after it (window.__viewLatencies); first paint is from
 * navigation start to the node table's first row. First the tree is filled
 * to 1,000 blocks (messages as fast as the nodes take them), then the
 * measured window (BENCH_WATCH_S seconds, default 60) runs at 5 blocks/s.
 */

const BIN = fileURLToPath(new URL("../../bin/blockchain", import.meta.url));
const NODES = Number(process.env.BENCH_WATCH_NODES ?? 32);
const WINDOW_S = Number(process.env.BENCH_WATCH_S ?? 60);
const RATE_PER_S = 5;
const TREE_BLOCKS = Number(process.env.BENCH_WATCH_TREE ?? 1000);
const FILL_LIMIT_MS = 10 * 60_000;
const TICK_HZ = 100;

/** CPU seconds (user + system) and RSS (MB) of a process, from /proc. */
function usageOf(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICK_HZ;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpuS, rssMb: Number(rss?.[1] ?? 0) / 1024 };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function startWatch(
  first: string,
  port: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [BIN, "watch", first, "--port", String(port), "--max-nodes", String(NODES)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let text = "";
  child.stdout?.setEncoding("utf8");
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("watch did not start within 30 s")), 30_000);
    child.stdout?.on("data", (chunk: string) => {
      text += chunk;
      const match = /network view: (\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
  });
  return { child, url };
}

async function blocksInView(url: string): Promise<number> {
  const response = await fetch(`${url}network`, { signal: AbortSignal.timeout(10_000) });
  return ((await response.json()) as { blocks: unknown[] }).blocks.length;
}

/** Adds messages round-robin at `perSecond` until `until()` says stop (or `limitMs` passes). */
async function feed(
  urls: string[],
  perSecond: number,
  until: () => boolean | Promise<boolean>,
  limitMs: number,
) {
  const start = Date.now();
  let sent = 0;
  while (Date.now() - start < limitMs && !(await until())) {
    const url = urls[sent % urls.length] as string;
    sent++;
    await fetch(`${url}/add`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: `bench ${sent}` }),
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
    const due = start + (sent * 1000) / perSecond;
    if (due > Date.now()) await delay(due - Date.now());
  }
  return sent;
}

const OBSERVE_FIRST_PAINT = `
  window.firstRowMs = null;
  new MutationObserver((_, observer) => {
    if (document.querySelector("tr[data-node]")) {
      window.firstRowMs = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true });
`;

async function firstPaint(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(OBSERVE_FIRST_PAINT);
    await page.goto(url);
    await page.waitForSelector("tr[data-node]", { timeout: 30_000 });
    return (await page.evaluate("window.firstRowMs")) as number;
  } finally {
    await context.close();
  }
}

async function main(browser: Browser | null): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bc-bench-watch-"));
  const devnet = await startDevnet(NODES, dir, 1, ["--no-watch"]).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  let watch: ChildProcess | null = null;
  try {
    const started = await startWatch(
      devnet.urls[0]?.replace("http://", "") as string,
      await freePortRange(1),
    );
    watch = started.child;
    const url = started.url;
    const filling = Date.now();
    let lastCheck = 0;
    let filled = false;
    await feed(
      devnet.urls,
      50,
      // The snapshot is read at most once a second: at every message it would load the watcher more than its nodes do.
      async () => {
        if (Date.now() - lastCheck < 1000) return filled;
        lastCheck = Date.now();
        filled = (await blocksInView(url)) >= TREE_BLOCKS;
        return filled;
      },
      FILL_LIMIT_MS,
    );
    const inTree = await blocksInView(url);
    console.log(
      `tree filled to ${inTree} blocks in ${Math.round((Date.now() - filling) / 1000)} s`,
    );

    const page = browser
      ? await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
      : null;
    if (page) {
      await page.goto(url);
      await page.waitForSelector("tr[data-node]", { timeout: 30_000 });
      await page.evaluate("window.__viewLatencies.length = 0");
    }
    const pid = watch.pid as number;
    const before = usageOf(pid);
    const rss: number[] = [before.rssMb];
    const t0 = Date.now();
    const sampler = setInterval(() => rss.push(usageOf(pid).rssMb), 1000);
    const sent = await feed(devnet.urls, RATE_PER_S, () => false, WINDOW_S * 1000);
    clearInterval(sampler);
    const after = usageOf(pid);
    const seconds = (Date.now() - t0) / 1000;
    const cpuPct = (100 * (after.cpuS - before.cpuS)) / seconds;
    const latencies = page ? ((await page.evaluate("window.__viewLatencies")) as number[]) : [];
    const firstPaints: number[] = [];
    if (browser) for (let i = 0; i < 5; i++) firstPaints.push(await firstPaint(browser, url));
    const firstThird = rss.slice(0, Math.max(1, Math.floor(rss.length / 3)));
    const lastThird = rss.slice(-Math.max(1, Math.floor(rss.length / 3)));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    console.log(
      `${NODES} nodes, ${sent} messages in ${seconds.toFixed(0)} s, ${await blocksInView(url)} blocks in the view; ` +
        `watcher CPU ${cpuPct.toFixed(1)} % of a core, RSS ${mean(firstThird).toFixed(0)} MB (first third) -> ${mean(lastThird).toFixed(0)} MB (last third), max ${Math.max(...rss).toFixed(0)} MB; ` +
        `${latencies.length} page updates, p95 ${percentile(latencies, 0.95).toFixed(0)} ms; first paint median ${percentile(firstPaints, 0.5).toFixed(0)} ms`,
    );
    recordResults({
      watch_nodes: NODES,
      watch_window_s: Math.round(seconds),
      watch_cpu_pct: cpuPct,
      watch_rss_mb: Math.max(...rss),
      watch_rss_growth_mb: mean(lastThird) - mean(firstThird),
      ...(page
        ? {
            watch_update_p95_ms: percentile(latencies, 0.95),
            watch_updates: latencies.length,
            watch_first_paint_ms: percentile(firstPaints, 0.5),
          }
        : {}),
      watch_load_avg_1m: Number((loadavg()[0] ?? 0).toFixed(2)),
    });
  } finally {
    if (watch && watch.exitCode === null) {
      const exited = new Promise((resolve) => watch?.once("exit", resolve));
      watch.kill("SIGTERM");
      await exited;
    }
    await stopDevnet(devnet);
    await rm(dir, { recursive: true, force: true });
  }
}

const missing = chromiumMissing();
if (missing) console.log(`page figures skipped: ${missing}`);
const browser = missing ? null : await launchChromium();
try {
  await main(browser);
} finally {
  await browser?.close();
}
