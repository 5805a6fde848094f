import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { addMessage, BIN, freePort, getJson, NodeProcess } from "../helpers/node-process.js";
import { chromiumMissing, collectErrors, launchChromium, screenshot } from "./browser.js";
import { writeLongChain } from "./long-chain.js";

/*
 * The explorer in Debian's Chromium, against a real `blockchain miner start`
 * that loaded a 2,500-block chain. Every wait has a deadline (Playwright's
 * waitFor* time-outs); no test sleeps.
 */

const CHAIN_LENGTH = 2500;
const DIFFICULTY = 2;
const WAIT_MS = 20_000;

interface Status {
  length: number;
  tip: string;
}

const skip = chromiumMissing();

// Snippets run in the page: plain strings, since this file is compiled without the DOM's types.
const FOCUSED_TEXT = "document.activeElement?.textContent";
/** Records each state the add form's tracker shows: on a fast miner "pending" may last a few milliseconds. */
const RECORD_TRACKER_STATES = `
  window.statuses = [];
  window.sameDocument = true;
  new MutationObserver(() => {
    const state = document.querySelector(".submitted-item .tracker")?.getAttribute("data-status");
    if (state && window.statuses[window.statuses.length - 1] !== state) window.statuses.push(state);
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
`;

describe("the explorer in a real browser", { skip }, () => {
  let dir = "";
  let node: NodeProcess;
  let browser: Browser;
  let chainPath = "";
  const nodeArgs = ["--difficulty", String(DIFFICULTY), "--workers", "1"];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "bc-explorer-"));
    chainPath = join(dir, "chain.json");
    await writeLongChain(chainPath, CHAIN_LENGTH, { difficulty: DIFFICULTY });
    node = await NodeProcess.start({
      chainPath,
      port: await freePort(),
      args: nodeArgs,
      startTimeoutMs: 60_000,
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs `body` in a fresh page and checks the browser logged no error meanwhile. */
  async function withPage(
    options: BrowserContextOptions,
    body: (page: Page) => Promise<void>,
    /** Errors this test expects (e.g. refused connections while the node is down). */
    expected: RegExp | null = null,
  ): Promise<void> {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    const errors = collectErrors(page);
    try {
      await body(page);
      const unexpected = errors.filter((e) => !expected?.test(e));
      assert.deepEqual(unexpected, [], "the browser logged errors");
    } finally {
      await context.close();
    }
  }

  const desktop: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };

  async function openOverview(page: Page, length: number): Promise<void> {
    await page.goto(`${node.url}/`);
    await page.waitForSelector(`[data-stat="length"]:text-is("${length.toLocaleString("en-US")}")`);
    await page.waitForSelector(`.block-card[data-index="${length - 1}"]`);
    await page.waitForSelector('[data-feed="live"]');
  }

  test("the overview shows the node's status and only the newest page of its chain", async () => {
    const status = await getJson<Status>(`${node.url}/status`);
    await withPage(desktop, async (page) => {
      const blockRequests: string[] = [];
      page.on("request", (request) => {
        if (new URL(request.url()).pathname.startsWith("/blocks"))
          blockRequests.push(request.url());
      });
      await openOverview(page, status.length);
      const indexes = await page.$$eval(".block-card", (cards) =>
        cards.map((c) => Number(c.getAttribute("data-index"))),
      );
      assert.deepEqual(
        indexes,
        Array.from({ length: 25 }, (_, i) => status.length - 1 - i),
        "newest first, one page",
      );
      // The tip's hash, computed in the browser, is the node's.
      await page.waitForSelector(
        `.block-card[data-index="${status.length - 1}"] [data-hash="${status.tip}"]`,
      );
      await page.waitForSelector(`[data-stat="tip"] [data-hash="${status.tip}"]`);
      assert.equal(await page.textContent('[data-stat="difficulty"]'), String(DIFFICULTY));
      assert.equal(await page.textContent('[data-stat="proof-rule"]'), "original");
      await page.waitForSelector(".chart svg polyline");
      for (const url of blockRequests) {
        const query = new URL(url).searchParams;
        assert.ok(Number(query.get("limit")) <= 25, `a page of at most 25 blocks, not ${url}`);
        assert.ok(
          Number(query.get("from")) >= status.length - 25,
          `only the newest page, not ${url}`,
        );
      }
      await screenshot(page, "explorer-overview");
    });
  });

  test("a message added through the form is shown pending, then confirmed in a new block card, without a reload", async () => {
    const before = await getJson<Status>(`${node.url}/status`);
    const text = `Hello from the browser test ${Date.now()}`;
    await withPage(desktop, async (page) => {
      await openOverview(page, before.length);
      await page.evaluate(RECORD_TRACKER_STATES);
      // By keyboard: type in the field, Tab to the button, Enter.
      await page.getByLabel("Message", { exact: true }).fill(text);
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(FOCUSED_TEXT), "Add message");
      await page.keyboard.press("Enter");

      const item = await page.waitForSelector(".submitted-item[data-id]");
      const id = (await item.getAttribute("data-id")) as string;
      assert.match(id, /^[0-9a-f]{32}$/);
      const card = await page.waitForSelector(`.block-card:has(.message:text-is("${text}"))`);
      const index = Number(await card.getAttribute("data-index"));
      assert.ok(index >= before.length, `mined in a new block, not ${index}`);
      await page.waitForSelector(
        `.submitted-item[data-id="${id}"] .tracker[data-status="confirmed"] [data-confirmed-index="${index}"]`,
      );
      await page.waitForSelector(
        `[data-stat="length"]:text-is("${(index + 1).toLocaleString("en-US")}")`,
      );

      const seen = await page.evaluate<{ statuses: string[]; sameDocument: boolean }>(
        "({ statuses, sameDocument })",
      );
      assert.equal(seen.sameDocument, true, "the page was not reloaded");
      assert.equal(seen.statuses[0], "pending");
      assert.equal(seen.statuses[seen.statuses.length - 1], "confirmed");

      // The node agrees, and the search finds the message by its id.
      const lookup = await getJson<{ status: string; index: number }>(`${node.url}/data/${id}`);
      assert.deepEqual([lookup.status, lookup.index], ["confirmed", index]);
      await page.getByLabel("Block index or message id").fill(id);
      await page.keyboard.press("Enter");
      await page.waitForURL(`**/#/message/${id}`);
      await page.waitForSelector(`.tracker[data-status="confirmed"] [data-confirmations]`);
    });
  });

  test("a block has its own page, with its hash checked against the next block's link", async () => {
    const index = 2400;
    const [, next] = (
      await getJson<{ blocks: { previous_hash: string }[] }>(
        `${node.url}/blocks?from=${index}&limit=2`,
      )
    ).blocks;
    await withPage(desktop, async (page) => {
      await page.goto(`${node.url}/#/block/${index}`);
      await page.waitForSelector(`h1:text-is("Block #2,400")`);
      await page.waitForSelector(`.block-page .full-hash:text-is("${next?.previous_hash}")`);
      await page.waitForSelector(`.badge:text-is("linked by block 2,401")`);
      await screenshot(page, "explorer-block-page");
      await page.click('a[rel="next"]');
      await page.waitForSelector(`h1:text-is("Block #2,401")`);
      // From a card on the overview, too.
      await page.goto(`${node.url}/#/`);
      await page.click(`.block-card[data-index="2499"] h3 a`);
      await page.waitForSelector(`h1:text-is("Block #2,499")`);
      assert.match(page.url(), /#\/block\/2499$/);
    });
  });

  test("the chain pages back to genesis, one page of blocks at a time", async () => {
    const { length } = await getJson<Status>(`${node.url}/status`);
    await withPage(desktop, async (page) => {
      const limits: number[] = [];
      page.on("request", (request) => {
        const url = new URL(request.url());
        if (url.pathname === "/blocks") limits.push(Number(url.searchParams.get("limit")));
      });
      await page.goto(`${node.url}/#/chain`);
      await page.waitForSelector(`.block-card[data-index="${length - 1}"]`);
      await page.click('.pager a[rel="next"]');
      await page.waitForSelector(`.block-card[data-index="${length - 26}"]`);
      assert.match(page.url(), /#\/chain\/2$/);
      const last = Math.ceil(length / 25);
      await page.click(`.pager a:text-is("${last}")`);
      await page.waitForSelector('.block-card[data-index="0"]');
      await page.waitForSelector(
        `.block-card[data-index="0"] .message:text-is("This is the workload of the very first Block in this chain!")`,
      );
      assert.ok(await page.isVisible('.pager-off:text-is("Older →")'), "no page after genesis");
      assert.ok(
        limits.length >= 3 && limits.every((l) => l <= 25),
        `pages of at most 25 blocks: ${limits}`,
      );
      // A search by index lands on the block's page.
      await page.getByLabel("Block index or message id").fill("1234");
      await page.keyboard.press("Enter");
      await page.waitForSelector(`h1:text-is("Block #1,234")`);
    });
  });

  test("on a phone-sized screen nothing overflows sideways", async () => {
    const { length } = await getJson<Status>(`${node.url}/status`);
    await withPage(
      {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      },
      async (page) => {
        await openOverview(page, length);
        const overflow = await page.evaluate<number>(
          "document.documentElement.scrollWidth - window.innerWidth",
        );
        assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
        // What a phone shows first (the whole page is 25 block cards long).
        await screenshot(page, "explorer-phone", false);
      },
    );
  });

  test("dark mode follows the system's colour scheme", async () => {
    const { length } = await getJson<Status>(`${node.url}/status`);
    await withPage({ ...desktop, colorScheme: "dark" }, async (page) => {
      await openOverview(page, length);
      const background = await page.evaluate<string>(
        "getComputedStyle(document.body).backgroundColor",
      );
      const [r = 255, g = 255, b = 255] = (background.match(/\d+/g) ?? []).map(Number);
      assert.ok(r + g + b < 150, `a dark background, not ${background}`);
      await screenshot(page, "explorer-dark", false);
    });
  });

  test("keyboard users get a skip link and a visible focus ring", async () => {
    const { length } = await getJson<Status>(`${node.url}/status`);
    await withPage(desktop, async (page) => {
      await openOverview(page, length);
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(FOCUSED_TEXT), "Skip to content");
      const outline = await page.evaluate<string>(
        "getComputedStyle(document.activeElement).outlineStyle",
      );
      assert.equal(outline, "solid");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate<string>("document.activeElement?.id"), "page-title");
    });
  });

  test("`blockchain ui` serves the explorer on its own port, calling the node on another", async () => {
    const { length } = await getJson<Status>(`${node.url}/status`);
    const port = await freePort();
    const ui = spawn(process.execPath, [BIN, "ui", "--port", String(port), "--node", node.url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = once(ui, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    let stderr = "";
    ui.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    try {
      const first = await Promise.race([
        once(ui.stdout, "data").then(([chunk]) => String(chunk).trim()),
        exited.then(([code]) => `exited with ${code} before serving: ${stderr}`),
      ]);
      assert.equal(first, `explorer on http://127.0.0.1:${port} (node: ${node.url})`);
      await withPage(desktop, async (page) => {
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForSelector(
          `[data-stat="length"]:text-is("${length.toLocaleString("en-US")}")`,
        );
        await page.waitForSelector(`.block-card[data-index="${length - 1}"]`);
        await page.waitForSelector('[data-feed="live"]');
      });
      ui.kill("SIGTERM");
      const [code] = await exited;
      assert.equal(code, 0, `blockchain ui exits 0 on SIGTERM; it said: ${stderr}`);
    } finally {
      if (ui.exitCode === null && ui.signalCode === null) ui.kill("SIGKILL");
    }
  });

  // Last: it restarts the node that the tests above share.
  test("after the node restarts, the page reconnects by itself and catches up, without a reload", async () => {
    const { length } = await getJson<Status>(`${node.url}/status`);
    const port = node.port;
    await withPage(
      desktop,
      async (page) => {
        await openOverview(page, length);
        await page.evaluate("window.sameDocument = true");
        // A block event before the break, so that the page has an event id to resume from.
        const before = `Before the restart ${Date.now()}`;
        await addMessage(node.url, before);
        await page.waitForSelector(
          `.block-card[data-index="${length}"] .message:text-is("${before}")`,
        );
        // Streams the node answered (a refused retry carries only provisional headers).
        const resumes: Promise<string | undefined>[] = [];
        page.on("response", (response) => {
          const url = new URL(response.url());
          if (!url.pathname.endsWith("/events") || response.status() !== 200) return;
          const fromParam = url.searchParams.get("last_event_id");
          resumes.push(
            response
              .request()
              .allHeaders()
              .then((h) => h["last-event-id"] ?? fromParam ?? undefined),
          );
        });
        await node.stop();
        await page.waitForSelector('[data-feed="reconnecting"]');
        node = await NodeProcess.start({ chainPath, port, args: nodeArgs, startTimeoutMs: 60_000 });
        await page.waitForSelector('[data-feed="live"]', { timeout: 30_000 });
        const ids = await Promise.all(resumes);
        assert.ok(ids.length > 0, "the page opened the event stream again");
        for (const id of ids)
          assert.match(id ?? "", /^[0-9a-f]{8}-\d+-\d+$/, "it resumes after an id");
        const text = `After the restart ${Date.now()}`;
        await addMessage(node.url, text);
        await page.waitForSelector(
          `.block-card[data-index="${length + 1}"] .message:text-is("${text}")`,
        );
        await page.waitForSelector(
          `[data-stat="length"]:text-is("${(length + 2).toLocaleString("en-US")}")`,
        );
        assert.equal(await page.evaluate("window.sameDocument"), true, "the page was not reloaded");
      },
      // While the node is down the browser logs each refused retry, and the cut event stream; nothing else may fail.
      /net::(ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_INCOMPLETE_CHUNKED_ENCODING)/,
    );
  });
  test("the overview names the node's proof rule: content on a content-rule node", async () => {
    const contentNode = await NodeProcess.start({
      port: await freePort(),
      args: [...nodeArgs, "--proof-rule", "content", "--no-mine"],
    });
    try {
      await withPage(desktop, async (page) => {
        await page.goto(`${contentNode.url}/`);
        await page.waitForSelector('[data-stat="proof-rule"]:text-is("content")');
        const title = await page.getAttribute('[data-stat="proof-rule"]', "title");
        assert.match(title ?? "", /own hash/);
      });
    } finally {
      await contentNode.stop();
    }
  });
});
