// Checks the import rules of ARCHITECTURE.md over the TypeScript sources:
// every import points down the folder order below (or stays in its folder),
// and no files import each other, directly or in a loop. Type-only imports
// count too: a circle of types is still a circle to read.
//
// Usage: node scripts/check-imports.mjs [root]   (root defaults to src)
// Exit 0 when the rules hold, 1 with one line per broken rule otherwise.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * What each folder of src/ may import besides itself, top of the house first:
 * cli, index -> watch, node -> api, net -> mining, pool, chain -> storage -> config, core.
 * ui is the browser bundle: it may use the core and the API's wire types only.
 */
export const MAY_IMPORT = {
  ".": [
    "cli",
    "watch",
    "node",
    "api",
    "net",
    "mining",
    "pool",
    "chain",
    "storage",
    "config",
    "core",
  ],
  cli: ["watch", "node", "api", "net", "mining", "pool", "chain", "storage", "config", "core"],
  // The network view's watcher: a client of nodes, beside node/ (it knows them only by HTTP).
  watch: ["api", "net", "config", "core"],
  node: ["api", "net", "mining", "pool", "chain", "storage", "config", "core"],
  api: ["config", "core"],
  net: ["mining", "pool", "chain", "storage", "config", "core"],
  mining: ["pool", "chain", "storage", "config", "core"],
  pool: ["storage", "config", "core"],
  chain: ["storage", "config", "core"],
  storage: ["config", "core"],
  config: ["core"],
  core: [],
  ui: ["api", "watch", "core"],
};

const SOURCE = /\.(ts|tsx)$/;
// `import ... from "x"`, `export ... from "x"`, `import "x"`, `import("x")`.
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function sourceFiles(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (SOURCE.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** The relative specifiers a file imports, resolved to source files under root. */
function importsOf(file, known) {
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
  const found = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const spec = match[1] ?? match[2];
    if (!spec?.startsWith(".")) continue;
    const base = normalize(join(dirname(file), spec));
    const target = [base.replace(/\.js$/, ".ts"), base.replace(/\.js$/, ".tsx"), base].find((c) =>
      known.has(c),
    );
    if (target) found.push(target);
  }
  return found;
}

/** The top folder of src/ a file lives in ("." for files at the root such as index.ts). */
function folderOf(root, file) {
  const parts = relative(root, file).split(sep);
  return parts.length === 1 ? "." : parts[0];
}

/** Strongly connected components of more than one file (or a file importing itself). */
function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let counter = 0;
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Every broken rule under `root`, one readable line each. */
export function checkImports(root) {
  const files = sourceFiles(root);
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, importsOf(f, known)]));
  const problems = [];
  for (const [file, targets] of graph) {
    const from = folderOf(root, file);
    const allowed = MAY_IMPORT[from];
    if (!allowed) {
      problems.push(`${relative(root, file)}: folder '${from}' has no place in the folder order`);
      continue;
    }
    for (const target of targets) {
      const to = folderOf(root, target);
      if (to !== from && !allowed.includes(to)) {
        problems.push(
          `${relative(root, file)} imports ${relative(root, target)}: '${from}' may not import '${to}'`,
        );
      }
    }
  }
  for (const component of cycles(graph)) {
    problems.push(`import circle: ${component.map((f) => relative(root, f)).join(" <-> ")}`);
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const root = process.argv[2] ?? "src";
  const problems = checkImports(root);
  for (const line of problems) console.error(line);
  if (problems.length > 0) {
    console.error(`${problems.length} import rule(s) broken under ${root}`);
    process.exit(1);
  }
  console.log(`imports under ${root}: all point down, no circles`);
}
