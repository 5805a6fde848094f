// Bundles the compiled CLI (dist/src/cli/main.js, what it imports of ours and
// its dependencies: fastify, Ajv, TypeBox, pino, prom-client...) with esbuild
// into one CommonJS file, dist/src/bundle/blockchain.cjs, so that a command
// reads one file, not a thousand (a node's start read about 900 files of
// node_modules). bin/blockchain runs it through node:vm with a V8 code cache
// (see there), which ES modules cannot have on Node 20: that is why the bundle
// is CommonJS, in one file (esbuild splits into chunks for ES modules only).
// bin/blockchain runs the bundle when it is as new as the compiled files, else
// the compiled files themselves. The folder is as deep as dist/src/<part>/, so
// that the paths the code takes from its own place (import.meta.url, here the
// bundle's own URL: package.json, the addon, the worker files, dist/ui) still
// hold. Worker threads and the library (dist/src/index.js) use the compiled files.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const entry = "dist/src/cli/main.js";
const outdir = "dist/src/bundle";
const outfile = `${outdir}/blockchain.cjs`;
if (!existsSync(entry)) {
  console.error(`${entry} is not built: run tsc first`);
  process.exit(1);
}
// Also removes the code caches of the previous bundle.
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [entry],
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  outfile,
  // The ES modules' import.meta.url becomes the bundle's own URL.
  define: { "import.meta.url": "__bundleUrl" },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  // Licence comments go to blockchain.cjs.LEGAL.txt: the bundle stays ASCII (read as latin1, see bin/blockchain).
  legalComments: "external",
  logLevel: "warning",
});
const bytes = readFileSync(outfile);
const nonAscii = bytes.findIndex((byte) => byte > 0x7f);
if (nonAscii >= 0) {
  console.error(
    `${outfile} has a non-ASCII byte at offset ${nonAscii}; bin/blockchain reads it as latin1`,
  );
  process.exit(1);
}
