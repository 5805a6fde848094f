// Bundles the compiled CLI (dist/src/cli/main.js, what it imports of ours and
// its dependencies: fastify, Ajv, TypeBox, pino, prom-client...) with esbuild
// into one CommonJS file, dist/src/bundle/blockchain.cjs, and the client
// commands alone (dist/src/cli/client-main.js) into client.cjs, so that a command
// reads one file, not a thousand (a node's start read about 900 files of
// node_modules). bin/blockchain runs it through node:vm with a V8 code cache
// (see there), which ES modules cannot have on Node 20: that is why the bundle
// is CommonJS, in one file (esbuild splits into chunks for ES modules only).
// bin/blockchain runs the bundle when it is as new as the compiled files, else
// the compiled files themselves. The folder is as deep as dist/src/<part>/, so
// that the paths the code takes from its own place (import.meta.url, here the
// bundle's own URL: package.json, the addon, the worker files, dist/ui) still
// hold. Worker threads and the library (dist/src/index.js) use the compiled files.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { lazyBuiltins } from "./lazy-builtins.mjs";

// The whole CLI, and the client commands alone (add, get: scripts call them in
// loops), each one file with no code shared: a client command reads a twentieth
// of the whole CLI's source and a quarter of its code cache. Each names the built-in modules its
// code requires at the top but its usual commands (a node's start; `get
// status`) do not use: loaded on first use (scripts/lazy-builtins.mjs). See
// docs/performance.md, Start-up.
const bundles = [
  {
    name: "blockchain",
    entry: "dist/src/cli/main.js",
    lazy: ["http2", "https", "tls"],
  },
  {
    name: "client",
    entry: "dist/src/cli/client-main.js",
    lazy: ["child_process", "crypto", "https", "tls"],
  },
];
const outdir = "dist/src/bundle";
for (const { entry } of bundles) {
  if (!existsSync(entry)) {
    console.error(`${entry} is not built: run tsc first`);
    process.exit(1);
  }
}
// Also removes the code caches of the previous bundles.
rmSync(outdir, { recursive: true, force: true });
for (const { name, entry, lazy } of bundles) {
  const outfile = `${outdir}/${name}.cjs`;
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    outfile,
    plugins: [lazyBuiltins(lazy)],
    // The ES modules' import.meta.url becomes the bundle's own URL.
    define: { "import.meta.url": "__bundleUrl" },
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    // Licence comments go to <name>.cjs.LEGAL.txt: the bundle stays ASCII (read as latin1, see bin/blockchain).
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
}

await warmCodeCaches();

/**
 * Writes the code caches of a node's start and of `blockchain get status`, the
 * client bundle's (bin/blockchain writes a command's cache as it exits): a node started with
 * --no-mine on a new chain in a temporary folder, asked for its status, then
 * stopped. The first start after a build is then as fast as the next ones,
 * and an image built from this folder carries the caches (its runtime user
 * may not write them). Bounded in time; a failure only costs the caches.
 */
async function warmCodeCaches() {
  const dir = mkdtempSync(join(tmpdir(), "bc-warm-cache-"));
  const node = spawn(
    process.execPath,
    [
      "bin/blockchain",
      "miner",
      "start",
      join(dir, "chain.json"),
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--no-mine",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  const exited = new Promise((resolve) => node.once("exit", resolve));
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("no 'listening on' line within 20 s")),
        20_000,
      );
      let seen = "";
      node.stdout.setEncoding("utf8").on("data", (text) => {
        seen += text;
        const match = /listening on https?:\/\/\S+:(\d+)/.exec(seen);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      node.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the node exited (${code}) before listening`));
      });
    });
    const status = spawnSync(
      process.execPath,
      ["bin/blockchain", "get", "status", "--port", port],
      {
        stdio: "ignore",
        timeout: 20_000,
      },
    );
    if (status.status !== 0) throw new Error(`get status exited ${status.status ?? status.signal}`);
  } catch (err) {
    console.warn(`the code caches were not written (${err.message}); commands start without them`);
  } finally {
    node.kill("SIGTERM");
    const killer = setTimeout(() => node.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  }
}
