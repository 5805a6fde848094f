// Takes docs/explorer.png, the README's picture of the explorer: a node on a fresh chain in a
// temp folder, a few messages mined, the explorer's overview in Debian's Chromium (headless,
// driven by playwright-core). Run after `npm run build`: node scripts/screenshot-explorer.mjs
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const dir = mkdtempSync(join(tmpdir(), "bc-screenshot-"));
const node = spawn(
  process.execPath,
  [
    "bin/blockchain",
    "miner",
    "start",
    join(dir, "chain.json"),
    "--port",
    "0",
    "--difficulty",
    "3",
    "--workers",
    "1",
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let browser;
try {
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the node did not start within 30 s")), 30_000);
    let out = "";
    node.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
  });
  const messages = ["hello, chain", "a second message", "Grüße aus dem Block", "the fourth one"];
  for (const message of messages) {
    await fetch(`${url}/add`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message }),
    });
  }
  for (let tries = 0; tries < 600; tries++) {
    const status = await (await fetch(`${url}/status`)).json();
    if (status.length > messages.length && status.pending === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(`${url}/`);
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: "docs/explorer.png" });
  console.log("docs/explorer.png written");
} finally {
  await browser?.close();
  node.kill("SIGTERM");
  await new Promise((resolve) => node.once("exit", resolve));
  rmSync(dir, { recursive: true, force: true });
}
