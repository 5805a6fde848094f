// Attack 7 of issue 12, as it was made: a page of another origin, in Chromium,
// drove a local node (added a message, added a neighbour, got one banned).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { chromiumMissing, launchChromium } from "./browser.js";

const skip = chromiumMissing();

/** What the attacker's page tries; each outcome lands in window.outcomes. */
function attackPage(node: string): string {
  return `<!doctype html><title>attack</title><script>
  window.outcomes = {};
  const node = ${JSON.stringify(node)};
  const attempt = async (name, run) => {
    try { const res = await run(); window.outcomes[name] = "status " + res.status; }
    catch (err) { window.outcomes[name] = "refused"; }
  };
  Promise.all([
    attempt("read", () => fetch(node + "/status")),
    attempt("put", () => fetch(node + "/add?message=pwned", { method: "PUT" })),
    attempt("json", () => fetch(node + "/add", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "pwned" }) })),
    // A "simple" request: no preflight, the answer unreadable, but it reaches the server.
    attempt("simple", () => fetch(node + "/add?message=pwned", { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: "x" })),
    attempt("relay", () => fetch(node + "/blocks", { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: "{}" })),
  ]).then(() => { window.done = true; });
  </script>`;
}

describe("a page of another origin in a real browser", { skip }, () => {
  let node: TestMiner;
  let site: Server;
  let siteUrl = "";
  let browser: Browser;

  before(async () => {
    node = await startTestMiner({ mine: false });
    site = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(attackPage(node.url));
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}/`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    site?.close();
    await node?.stop();
  });

  it("reads the node, but cannot add a message or announce anything", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(siteUrl);
      await page.waitForFunction("window.done === true", null, { timeout: 20_000 });
      const outcomes = (await page.evaluate("window.outcomes")) as Record<string, string>;
      assert.equal(outcomes.read, "status 200");
      assert.equal(outcomes.put, "refused");
      assert.equal(outcomes.json, "refused");
      // no-cors answers are opaque (status 0) whatever the server did: the node's state tells.
      assert.deepEqual((await http(`${node.url}/data`)).body, []);
      assert.equal((await http(`${node.url}/status`)).body.length, 1);
    } finally {
      await page.close();
    }
  });

  it("the node's own explorer page may still add a message", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${node.url}/`);
      const status = await page.evaluate(
        `fetch("/add?message=from%20the%20explorer", { method: "PUT" }).then((res) => res.status)`,
      );
      assert.equal(status, 200);
      const pending = (await http(`${node.url}/data`)).body as { message: string }[];
      assert.deepEqual(
        pending.map((d) => d.message),
        ["from the explorer"],
      );
    } finally {
      await page.close();
    }
  });
});
