// Runs the measurements under bench/ (compiled to dist/bench) one after another.
// `npm run bench` runs them all; `npm run bench -- hashrate` runs those whose name matches.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const dir = "dist/bench";
const filter = process.argv.slice(2);
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith(".js"))
      .filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)))
      .sort()
  : [];
let failed = 0;
for (const file of files) {
  console.log(`\n=== bench/${file.replace(/\.js$/, ".ts")}`);
  const result = spawnSync(process.execPath, [`${dir}/${file}`], { stdio: "inherit" });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
