// Bundles the web explorer (src/ui) into dist/ui with esbuild: no CDN, every asset ships.
// Also bundles the explorer's unit tests (test/ui, outside the main tsconfig because
// they import browser code) to dist/test/ui, where the test runner finds them.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { build } from "esbuild";

const entry = "src/ui/main.tsx";
if (!existsSync(entry)) process.exit(0);
mkdirSync("dist/ui", { recursive: true });
/** One browser bundle: minified, with its source map, Preact's JSX. */
const bundle = (entryPoint, outfile) =>
  build({
    entryPoints: [entryPoint],
    bundle: true,
    minify: true,
    sourcemap: true,
    format: "esm",
    target: "es2020",
    platform: "browser",
    jsx: "automatic",
    jsxImportSource: "preact",
    outfile,
    logLevel: "warning",
  });
await bundle(entry, "dist/ui/app.js");
// The network view's page (blockchain watch, devnet): same stack, its own bundle.
await bundle("src/ui/network/network-main.tsx", "dist/ui/network.js");
for (const file of ["index.html", "network.html", "style.css", "favicon.svg"]) {
  if (existsSync(`src/ui/${file}`)) copyFileSync(`src/ui/${file}`, `dist/ui/${file}`);
}

const testDir = "test/ui";
const tests = existsSync(testDir) ? readdirSync(testDir).filter((f) => f.endsWith(".test.ts")) : [];
if (tests.length > 0) {
  await build({
    entryPoints: tests.map((f) => `${testDir}/${f}`),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    outdir: "dist/test/ui",
    logLevel: "warning",
  });
}
