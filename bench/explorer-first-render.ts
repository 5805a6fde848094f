import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Browser } from "playwright-core";
import { chromiumMissing, launchChromium } from "../test/browser/browser.js";
import { writeLongChain } from "../test/browser/long-chain.js";
import { freePort, NodeProcess } from "../test/helpers/node-process.js";

/*
 * Time to first render of the explorer served by a node holding a 100,000-block
 * chain, against one holding 10 blocks (difficulty 1). "First render" is the
 * moment the first block card is in the page, measured in the page from the
 * start of navigation (performance.now()), in a fresh browser context each run
 * so nothing is cached. The explorer fetches only the newest page of blocks,
 * so both should be alike.
 */

const RUNS = 9;
const LENGTHS = [10, 100_000];

/** Runs in the page before its scripts: notes when the first block card and the length appear. */
const OBSERVE_FIRST_RENDER = `
  window.firstCardMs = null;
  window.lengthMs = null;
  new MutationObserver((_, observer) => {
    if (window.firstCardMs === null && document.querySelector(".block-card")) window.firstCardMs = performance.now();
    if (window.lengthMs === null && document.querySelector('[data-stat="length"]')) window.lengthMs = performance.now();
    if (window.firstCardMs !== null && window.lengthMs !== null) observer.disconnect();
  }).observe(document, { subtree: true, childList: true });
`;

interface Sample {
  firstCardMs: number;
  lengthMs: number;
  blockBytes: number;
}

async function sample(browser: Browser, url: string): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    let blockBytes = 0;
    page.on("response", async (response) => {
      if (new URL(response.url()).pathname.startsWith("/blocks"))
        blockBytes += (await response.body()).length;
    });
    await page.addInitScript(OBSERVE_FIRST_RENDER);
    await page.goto(`${url}/`);
    await page.waitForSelector(".block-card", { timeout: 30_000 });
    await page.waitForSelector('[data-stat="length"]', { timeout: 30_000 });
    const times = await page.evaluate<{ firstCardMs: number; lengthMs: number }>(
      "({ firstCardMs, lengthMs })",
    );
    return { ...times, blockBytes };
  } finally {
    await context.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

interface Subject {
  length: number;
  node: NodeProcess;
  setup: string;
  samples: Sample[];
}

async function startSubject(dir: string, length: number): Promise<Subject> {
  const chainPath = join(dir, `chain-${length}.json`);
  const built = performance.now();
  await writeLongChain(chainPath, length, { difficulty: 1 });
  const buildS = (performance.now() - built) / 1000;
  const started = performance.now();
  const node = await NodeProcess.start({
    chainPath,
    port: await freePort(),
    args: ["--difficulty", "1", "--workers", "1", "--no-mine"],
    startTimeoutMs: 300_000,
  });
  const startS = (performance.now() - started) / 1000;
  const setup = `chain file built in ${buildS.toFixed(1)} s, node up in ${startS.toFixed(1)} s`;
  return { length, node, setup, samples: [] };
}

function report(subject: Subject): void {
  const cards = subject.samples.map((s) => s.firstCardMs);
  console.log(
    `${String(subject.length).padStart(7)} blocks: first block card at median ${median(cards).toFixed(0)} ms ` +
      `(min ${Math.min(...cards).toFixed(0)}, max ${Math.max(...cards).toFixed(0)}; ${cards.length} runs), ` +
      `overview at median ${median(subject.samples.map((s) => s.lengthMs)).toFixed(0)} ms, ` +
      `${median(subject.samples.map((s) => s.blockBytes))} bytes of blocks fetched [${subject.setup}]`,
  );
}

/** Both nodes run at once and the runs alternate, so a busy machine slows both alike. */
async function measure(browser: Browser, dir: string): Promise<void> {
  const subjects: Subject[] = [];
  try {
    for (const length of LENGTHS) subjects.push(await startSubject(dir, length));
    // Warm-up: the nodes' first answers and Chromium's first page are not measured.
    for (const subject of subjects) await sample(browser, subject.node.url);
    for (let i = 0; i < RUNS; i++) {
      for (const subject of subjects) subject.samples.push(await sample(browser, subject.node.url));
    }
    for (const subject of subjects) report(subject);
  } finally {
    for (const subject of subjects) await subject.node.stop();
  }
}

const missing = chromiumMissing();
if (missing) {
  console.log(`skipped: ${missing}`);
} else {
  const dir = await mkdtemp(join(tmpdir(), "bc-bench-explorer-"));
  const browser = await launchChromium();
  try {
    await measure(browser, dir);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}
