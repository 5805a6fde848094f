import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium: playwright-core downloads no browser; CI installs this one with apt-get. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Why the browser tests cannot run here, or false when they can. */
export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM_PATH)
    ? false
    : `${CHROMIUM_PATH} is missing; install it with 'apt-get install -y chromium' (CI does)`;
}

/** Where screenshots go: test-results/ at the repository's root (gitignored). */
export const RESULTS_DIR = fileURLToPath(new URL("../../../test-results/", import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Every console error and uncaught page error, for a test to assert there were none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error")
      errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  return errors;
}

/** Saves test-results/<name>.png: the whole page, or only the screen (`fullPage: false`). */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage });
  return path;
}
