// Bundles the compiled CLI (dist/src/cli/main.js, what it imports of ours and
// its dependencies: fastify, Ajv, TypeBox, pino, prom-client...) with esbuild
// into dist/src/bundle/: one file for what every command needs, and chunks for
// what a command imports only when it runs (the node, the storage's checks),
// so that a command reads a few files, not a thousand (a node's start read
// about 900 files of node_modules). bin/blockchain runs the bundle when it is
// as new as the compiled files, else the compiled files themselves. The folder
// is as deep as dist/src/<part>/, so that the paths the code takes from its
// own place (package.json, the addon, the worker files, dist/ui) still hold.
// Worker threads and the library (dist/src/index.js) use the compiled files.
import { existsSync, rmSync } from "node:fs";
import { build } from "esbuild";

const entry = "dist/src/cli/main.js";
const outdir = "dist/src/bundle";
if (!existsSync(entry)) {
  console.error(`${entry} is not built: run tsc first`);
  process.exit(1);
}
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { blockchain: entry },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // CommonJS dependencies bundled into ESM still call require() for Node's own modules.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  outdir,
  chunkNames: "chunk-[hash]",
  logLevel: "warning",
});
