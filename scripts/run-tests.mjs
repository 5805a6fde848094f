// Runs the compiled tests with node's own test runner.
// Browser tests run when Chromium is present (CI installs it); soak and stress
// variants run only with BLOCKCHAIN_SOAK=1.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function findTests(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "helpers") out = out.concat(findTests(path));
    } else if (name.endsWith(".test.js")) {
      out.push(path);
    }
  }
  return out;
}

const filter = process.argv.slice(2);
let files = findTests("dist/test");
if (filter.length > 0) {
  files = files.filter((f) => filter.some((p) => f.includes(p)));
  // With no file named, node --test would find every .js under test/ (fixtures too) and run them.
  if (files.length === 0) {
    console.error(`no test file under dist/test matches ${filter.join(" or ")}`);
    process.exit(1);
  }
}
const args = ["--test", "--test-reporter=spec", "--test-concurrency=2", ...files];
const result = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exit(result.status ?? 1);
