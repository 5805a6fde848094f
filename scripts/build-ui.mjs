// Bundles the web explorer (src/ui) into dist/ui with esbuild: no CDN, every asset ships.
import { existsSync, mkdirSync, copyFileSync } from "node:fs";
import { build } from "esbuild";

const entry = "src/ui/main.tsx";
if (!existsSync(entry)) process.exit(0);
mkdirSync("dist/ui", { recursive: true });
await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: "es2020",
  jsx: "automatic",
  jsxImportSource: "preact",
  outfile: "dist/ui/app.js",
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) {
  if (existsSync(`src/ui/${file}`)) copyFileSync(`src/ui/${file}`, `dist/ui/${file}`);
}
