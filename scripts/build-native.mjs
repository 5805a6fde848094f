// Builds the native mining core (native/, binding.gyp) with node-gyp against
// the headers installed with Node, offline. Runs as the package's `install`
// script: a machine that cannot build it (no compiler, no headers) still
// installs, and the node mines with the TypeScript scanner. `--strict` (used
// by `npm run build:native`) exits non-zero when the build fails.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const strict = process.argv.includes("--strict");

/** node-gyp: the one npm runs scripts with, else the one bundled with npm next to node. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const bundled = join(
    dirname(process.execPath),
    "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
  );
  if (existsSync(bundled)) return [process.execPath, bundled];
  return ["node-gyp"];
}

/** The headers installed with Node (<prefix>/include/node), so that node-gyp downloads nothing. */
function nodeDirArgs() {
  const prefix = join(dirname(process.execPath), "..");
  return existsSync(join(prefix, "include/node/node_api.h")) ? [`--nodedir=${prefix}`] : [];
}

const [command, ...args] = nodeGyp();
const run = spawnSync(command, [...args, "rebuild", ...nodeDirArgs()], {
  stdio: "inherit",
  timeout: 300_000,
});
if (run.status === 0) {
  console.log("native mining core built (build/Release/blockchain_native.node)");
  process.exit(0);
}
const why = run.error ? run.error.message : `node-gyp exited with ${run.status ?? run.signal}`;
console.warn(`native mining core not built (${why}); mining will use the TypeScript scanner`);
process.exit(strict ? 1 : 0);
