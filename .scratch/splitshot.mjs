import { chromium } from "playwright-core";
const [url, outDir] = process.argv.slice(2);
const ports = [1, 2, 3, 4, 5].map((i) => Number(new URL(url).port) + i);
const add = (port, m) => fetch(`http://127.0.0.1:${port}/add`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: m }) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
await page.goto(url);
await page.waitForSelector("[data-feed=live]");
for (let i = 0; i < 12; i++) { await add(ports[i % 5], `before ${i}`); await sleep(400); }
await sleep(1500);
await page.getByRole("button", { name: "Split into two groups" }).click();
for (let i = 0; i < 8; i++) { await add(ports[i % 2 === 0 ? 0 : 3], `split ${i}`); await sleep(500); }
await add(ports[3], "split extra"); await sleep(600); await add(ports[4], "split extra 2");
await sleep(2500);
await page.screenshot({ path: `${outDir}/split.png`, fullPage: true });
const tipsSplit = await page.$$eval("tr[data-node]", (rows) => rows.map((r) => r.querySelector("[data-tip]").textContent));
console.log("split:", tipsSplit);
await page.getByRole("button", { name: "Heal" }).click();
await sleep(1000);
await add(ports[1], "after heal");
await sleep(5000);
const tipsHealed = await page.$$eval("tr[data-node]", (rows) => rows.map((r) => r.querySelector("[data-tip]").textContent));
console.log("healed:", tipsHealed);
const log = await page.$$eval(".event-log li", (items) => items.slice(0, 14).map((i) => i.textContent));
console.log(log.join("\n"));
await page.screenshot({ path: `${outDir}/healed.png`, fullPage: true });
await page.screenshot({ path: `${outDir}/healed-top.png`, fullPage: false });
await browser.close();
