import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { makePrivateGroup, type PrivateGroup } from "../helpers/private-group.js";
import { startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";
import { chromiumMissing, collectErrors, launchChromium } from "./browser.js";

const skip = chromiumMissing();
const WAIT_MS = 20_000;

describe("the explorer's add form on a node that takes writers only", {
  skip,
  timeout: 60_000,
}, () => {
  let group: PrivateGroup;
  let node: TestMiner;
  let browser: Browser;

  before(async () => {
    group = await makePrivateGroup();
    node = await startTestMiner({ privateNetwork: { writeTokensFile: group.tokensFile } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await node?.stop();
    await group?.remove();
  });

  test("asks for a writer's token after the node's 401, and the message is added with it", async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(node.url);
    await page.fill("#add-message", "from the browser");
    assert.equal(
      await page.locator("#add-token").count(),
      0,
      "no token field before the node asks",
    );
    await page.click(".add-form button[type=submit]");
    await page.waitForSelector("#add-token", { timeout: WAIT_MS });
    assert.match(
      (await page.textContent(".add-form .error")) ?? "",
      /writers only: enter a writer's token/,
    );
    await page.fill("#add-token", group.token);
    await page.click(".add-form button[type=submit]");
    await page.waitForSelector(".submitted-item", { timeout: WAIT_MS });
    await waitFor(
      () =>
        node.miner.chain.some((b) => b.data.message === "from the browser") ||
        node.miner.pending.some((d) => d.message === "from the browser"),
      { what: "the browser's message on the node" },
    );
    // The 401 itself shows as a console error of the failed fetch; nothing else may.
    assert.deepEqual(
      errors.filter((e) => !/401/.test(e)),
      [],
    );
  });
});
