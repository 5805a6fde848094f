import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DevnetProcess } from "../helpers/devnet-process.js";
import { addMessage, getJson } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";
import { chromiumMissing, collectErrors, launchChromium, screenshot } from "./browser.js";

/*
 * The network view in Debian's Chromium against a real `blockchain devnet`
 * of 5 nodes at difficulty 3 (forks happen): every wait has a deadline.
 */

const NODES = 5;
const WAIT_MS = 45_000;
const skip = chromiumMissing();

interface Status {
  length: number;
  tip: string;
}

const AXE_SOURCE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/**
 * Runs axe-core in the page; the serious and critical violations, one line each, and
 * any skipped heading level. label-content-name-mismatch (a button's name must hold its
 * visible text, WCAG 2.5.3) is experimental in axe, so it is turned on by name.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(await readFile(AXE_SOURCE, "utf8"));
  const found = (await page.evaluate(`(async () => {
    const result = await axe.run(document, {
      resultTypes: ["violations"],
      rules: { "label-content-name-mismatch": { enabled: true }, "heading-order": { enabled: true } },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      where: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  })()`)) as { id: string; impact: string; help: string; where: string[] }[];
  return found
    .filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "heading-order")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.where.join("; ")})`);
}

describe("the network view in a real browser", { skip }, () => {
  let devnet: DevnetProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[] = [];
  let messages = 0;

  before(async () => {
    devnet = await DevnetProcess.start({ nodes: NODES, difficulty: 3 });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    context.setDefaultTimeout(WAIT_MS);
    page = await context.newPage();
    errors = collectErrors(page);
    await page.goto(devnet.viewUrl);
    await page.waitForSelector('[data-feed="live"]');
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await devnet?.stop();
  });

  const statusOf = (address: string) => getJson<Status>(`http://${address}/status`);
  /** Node address -> the tip its row shows. */
  const tipsShown = async (): Promise<Map<string, string>> =>
    new Map(
      await page.$$eval("tr[data-node]", (rows) =>
        rows.map((row) => [
          row.getAttribute("data-node") as string,
          row.querySelector("[data-tip]")?.getAttribute("data-tip") ?? "",
        ]),
      ),
    );
  /** Node address -> the branch number its row tells (hidden text for screen readers). */
  const branchesShown = async (): Promise<Map<string, string>> =>
    new Map(
      await page.$$eval("tr[data-node]", (rows) =>
        rows.map((row) => [
          row.getAttribute("data-node") as string,
          /branch (\d+)/.exec(row.querySelector("[data-tip]")?.textContent ?? "")?.[1] ?? "",
        ]),
      ),
    );
  const add = (address: string) => addMessage(`http://${address}`, `message ${++messages}`);

  /** Every row shows the tip the node's own /status gives (read again until both agree). */
  async function rowsMatchNodes(addresses: readonly string[]): Promise<Map<string, string>> {
    return waitFor(
      async () => {
        const shown = await tipsShown();
        for (const address of addresses) {
          const { tip } = await statusOf(address);
          if (shown.get(address) !== tip) return null;
        }
        return shown;
      },
      { timeoutMs: WAIT_MS, intervalMs: 200, what: "every row showing its node's real tip" },
    );
  }

  test("every node appears with its real tip", async () => {
    await add(devnet.addresses[0] as string);
    await add(devnet.addresses[3] as string);
    await waitFor(
      async () => (await Promise.all(devnet.addresses.map(statusOf))).every((s) => s.length >= 3),
      { timeoutMs: WAIT_MS, intervalMs: 200, what: "two blocks on every node" },
    );
    const shown = await rowsMatchNodes(devnet.addresses);
    assert.deepEqual([...shown.keys()].sort(), [...devnet.addresses].sort());
    await page.waitForSelector(".fork-tree g[data-hash]");
  });

  test("the snapshot has the SPEC's shape, read from the real nodes", async () => {
    const snapshot = await getJson<Record<string, unknown>>(`${devnet.viewUrl}network`);
    for (const key of ["nodes", "blocks", "propagation", "events"]) assert.ok(key in snapshot, key);
    const nodes = snapshot.nodes as Record<string, unknown>[];
    assert.equal(nodes.length, NODES);
    for (const node of nodes) {
      assert.deepEqual(Object.keys(node).sort(), [
        "address",
        "behind",
        "hashrate",
        "last_block_ms",
        "length",
        "neighbours",
        "node_id",
        "pending",
        "reachable",
        "tip",
      ]);
      const status = await getJson<Status & { node_id: string }>(`http://${node.address}/status`);
      assert.equal(node.node_id, status.node_id);
      assert.equal(node.reachable, true);
    }
    const blocks = snapshot.blocks as Record<string, unknown>[];
    assert.ok(blocks.length >= 3);
    for (const block of blocks) {
      assert.deepEqual(Object.keys(block).sort(), [
        "first_seen",
        "hash",
        "index",
        "previous_hash",
        "seen_by",
        "tip_of",
      ]);
    }
    const propagation = snapshot.propagation as Record<string, unknown>;
    for (const key of ["p50_ms", "p90_ms", "max_ms", "samples"]) assert.ok(key in propagation, key);
    for (const event of snapshot.events as Record<string, unknown>[]) {
      assert.equal(typeof event.at, "number");
      assert.equal(typeof event.kind, "string");
    }
  });

  test("a split from the view shows two branches, nodes grouped by them; a heal leaves one tip", async () => {
    await page.getByRole("button", { name: "Split into two groups" }).click();
    await page.waitForSelector('.event-log li[data-kind="control"]');
    const [a0, a1, a2, b0, b1] = devnet.addresses as [string, string, string, string, string];
    // Each group mines on its own side of the split.
    await add(a0);
    await add(b0);
    await waitFor(
      async () => {
        const branches = await branchesShown();
        const left = new Set([a0, a1, a2].map((a) => branches.get(a)));
        const right = new Set([b0, b1].map((a) => branches.get(a)));
        if (left.size !== 1 || right.size !== 1) return false;
        const [l] = left;
        const [r] = right;
        return l !== "" && r !== "" && l !== r;
      },
      { timeoutMs: WAIT_MS, intervalMs: 200, what: "two branches, one a group" },
    );
    await screenshot(page, "network-view-split", false);
    await page.getByRole("button", { name: "Heal" }).click();
    await add(a1);
    const healed = await waitFor(
      async () => {
        const tips = await Promise.all(devnet.addresses.map(async (a) => (await statusOf(a)).tip));
        return new Set(tips).size === 1 ? tips[0] : null;
      },
      { timeoutMs: WAIT_MS, intervalMs: 200, what: "one tip on every node after the heal" },
    );
    const shown = await rowsMatchNodes(devnet.addresses);
    assert.equal(new Set(shown.values()).size, 1, "one tip on the page");
    assert.equal([...shown.values()][0], healed);
  });

  test("a stopped node is marked unreachable and comes back", async () => {
    const address = devnet.addresses[2] as string;
    await page.getByRole("button", { name: "Stop node-2" }).click();
    await page.waitForSelector(`tr[data-node="${address}"][data-reachable="false"]`);
    await page.waitForSelector('.event-log li[data-kind="unreachable"]');
    await page.getByRole("button", { name: "Start node-2" }).click();
    await page.waitForSelector(`tr[data-node="${address}"][data-reachable="true"]`);
    await page.waitForSelector('.event-log li[data-kind="reachable"]');
  });

  test("the view passes axe-core, light and dark, on a desktop and a phone", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      for (const viewport of [
        { width: 1280, height: 900 },
        { width: 390, height: 844 },
      ]) {
        const ctx = await browser.newContext({ viewport, colorScheme, bypassCSP: true });
        try {
          const view = await ctx.newPage();
          await view.goto(devnet.viewUrl);
          await view.waitForSelector('[data-feed="live"]');
          await view.waitForSelector("tr[data-node]");
          assert.deepEqual(
            await seriousViolations(view),
            [],
            `${colorScheme}, ${viewport.width} px`,
          );
          if (colorScheme === "dark" && viewport.width === 1280)
            await screenshot(view, "network-view-dark", false);
        } finally {
          await ctx.close();
        }
      }
    }
  });

  test("the explorer passes axe-core, light and dark: overview, chain page, block page", async () => {
    const node = `http://${devnet.addresses[0]}`;
    for (const colorScheme of ["light", "dark"] as const) {
      const ctx = await browser.newContext({ colorScheme, bypassCSP: true });
      try {
        const explorer = await ctx.newPage();
        for (const [hash, ready] of [
          ["#/", ".block-card"],
          ["#/chain", ".block-card"],
          ["#/block/1", "button.hash"],
        ] as const) {
          await explorer.goto(`${node}/${hash}`);
          await explorer.waitForSelector(ready);
          assert.deepEqual(await seriousViolations(explorer), [], `${hash} (${colorScheme})`);
        }
      } finally {
        await ctx.close();
      }
    }
  });

  test("the browser logged no error on the view", () => {
    // A stopped node makes no error in the page: the view talks only to the watcher.
    assert.deepEqual(errors, []);
  });
});
