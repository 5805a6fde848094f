import { readFileSync } from "node:fs";

/** The package version, read once from package.json (two folders above dist/src/config). */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
    return String(pkg.version);
  } catch {
    return "0.0.0";
  }
})();
