import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Copy, DockerfileParser, type Healthcheck, type Run } from "dockerfile-ast";
import { parse } from "yaml";

/*
 * The image's files checked as far as a parser of each can, on every machine: the
 * Dockerfile by dockerfile-ast, compose.yaml by yaml, and what the runtime needs against
 * what the runtime stage installs. docker-run.test.ts builds and runs them on a real
 * engine (BLOCKCHAIN_DOCKER=1).
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (name: string) => readFileSync(join(ROOT, name), "utf8");
const dockerfile = DockerfileParser.parse(read("Dockerfile"));
const stages = dockerfile.getFROMs();
const runtime = (() => {
  const last = stages.at(-1);
  assert.ok(last);
  const start = last.getRange().start.line;
  return dockerfile.getInstructions().filter((i) => i.getRange().start.line >= start);
})();
const pkg = JSON.parse(read("package.json")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

test("the image is built in stages and runs on Node 20", () => {
  assert.ok(stages.length >= 2, "a build stage and a runtime stage");
  for (const from of stages) assert.match(from.getImageTag() ?? "", /^20(-|$)/);
  const build = stages.find((s) => s.getBuildStage() === "build");
  assert.ok(build, "a stage named build");
});

test("the runtime stage copies the build's output and installs only runtime dependencies", () => {
  const copies = runtime.filter((i): i is Copy => i.getKeyword() === "COPY") as Copy[];
  const from = (what: string) =>
    copies
      .find((c) => c.getArguments().some((a) => a.getValue().includes(what)))
      ?.getFromFlag()
      ?.getValue();
  assert.equal(from("/app/dist"), "build");
  const depsStage = from("/app/node_modules");
  assert.ok(depsStage && depsStage !== "build", "node_modules come from a stage of their own");
  const depsFrom = stages.find((s) => s.getBuildStage() === depsStage);
  assert.ok(depsFrom);
  const depsRuns = dockerfile
    .getInstructions()
    .filter((i): i is Run => i.getKeyword() === "RUN")
    .filter((i) => i.getRange().start.line > depsFrom.getRange().start.line)
    .map((i) => i.getArgumentsContent() ?? "");
  assert.ok(
    depsRuns.some((r) => /npm ci\b.*--omit=dev/.test(r)),
    `the ${depsStage} stage installs with npm ci --omit=dev: ${depsRuns.join(" | ")}`,
  );
  assert.equal(
    runtime.some(
      (i) => i.getKeyword() === "RUN" && /npm (ci|install)\b/.test(i.getArgumentsContent() ?? ""),
    ),
    false,
    "no install in the runtime stage itself",
  );
});

test("the image mines with the native core: built strictly in the build stage, copied to the runtime", () => {
  const buildStage = stages.find((s) => s.getBuildStage() === "build");
  assert.ok(buildStage);
  const runtimeStart = (stages.at(-1) as typeof buildStage).getRange().start.line;
  const buildRuns = dockerfile
    .getInstructions()
    .filter((i): i is Run => i.getKeyword() === "RUN")
    .filter((i) => {
      const line = i.getRange().start.line;
      return line > buildStage.getRange().start.line && line < runtimeStart;
    })
    .map((i) => i.getArgumentsContent() ?? "");
  // --strict: a core that fails to compile fails the image build instead of falling back.
  assert.ok(
    buildRuns.some((r) => /npm run build:native\b/.test(r)),
    `the build stage runs npm run build:native: ${buildRuns.join(" | ")}`,
  );
  assert.match(read("package.json"), /"build:native": "node scripts\/build-native\.mjs --strict"/);
  assert.ok(
    buildRuns.some((r) => /apt-get install\b.*\bpython3\b.*\bmake\b.*\bg\+\+/s.test(r)),
    "the build stage installs node-gyp's tools (python3, make, g++)",
  );
  const copies = runtime.filter((i): i is Copy => i.getKeyword() === "COPY") as Copy[];
  const addon = copies.find((c) =>
    c.getArguments().some((a) => a.getValue().endsWith("build/Release/blockchain_native.node")),
  );
  assert.ok(addon, "the runtime stage copies build/Release/blockchain_native.node");
  assert.equal(addon.getFromFlag()?.getValue(), "build");
  // The loader looks for it at <app>/build/Release, beside dist/.
  const target = addon.getArguments().at(-1)?.getValue();
  assert.equal(target, "./build/Release/");
  const sources = (
    JSON.parse(read("binding.gyp")) as { targets: { sources: string[] }[] }
  ).targets.flatMap((t) => t.sources);
  const buildCopies = dockerfile
    .getInstructions()
    .filter((i): i is Copy => i.getKeyword() === "COPY")
    .filter((i) => i.getRange().start.line < runtimeStart)
    .flatMap((c) => c.getArguments().map((a) => a.getValue()));
  assert.ok(buildCopies.includes("binding.gyp"), "binding.gyp is copied into the build stage");
  for (const source of sources) {
    const folder = source.split("/")[0] as string;
    assert.ok(
      buildCopies.some((c) => c === folder || c === `./${folder}` || c === source),
      `${source} reaches the build stage`,
    );
  }
});

test("build-only packages are devDependencies, so the runtime image lacks them", () => {
  for (const name of ["preact", "esbuild", "typescript", "@biomejs/biome", "playwright-core"]) {
    assert.equal(pkg.dependencies[name], undefined, `${name} is not a runtime dependency`);
    assert.ok(pkg.devDependencies[name], `${name} is a devDependency`);
  }
});

/** Every bare module the compiled node code imports (the explorer is bundled apart). */
function importedPackages(dir: string): Set<string> {
  const found = new Set<string>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      for (const p of importedPackages(path)) found.add(p);
      continue;
    }
    if (!name.endsWith(".js")) continue;
    const text = readFileSync(path, "utf8");
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"'.][^"']*)["']/g)) {
      const spec = m[1] as string;
      if (spec.startsWith("node:") || builtinModules.includes(spec)) continue;
      const parts = spec.split("/");
      found.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string));
    }
  }
  return found;
}

test("every package the node imports at run time is a runtime dependency", () => {
  const used = importedPackages(join(ROOT, "dist", "src"));
  assert.ok(used.has("fastify") && used.has("pino-pretty"), [...used].join(", "));
  for (const name of used) assert.ok(pkg.dependencies[name], `${name} is in dependencies`);
});

test("a HEALTHCHECK asks the node's /status with node itself (no curl in the image)", () => {
  const checks = runtime.filter((i): i is Healthcheck => i.getKeyword() === "HEALTHCHECK");
  assert.equal(checks.length, 1);
  const text = checks[0]?.getArgumentsContent() ?? "";
  assert.match(text, /CMD \["node", "-e"/);
  assert.match(text, /\/status/);
  assert.doesNotMatch(text, /curl|wget/);
});

test("compose runs one image for the three miners, built once", () => {
  const compose = parse(read("compose.yaml"), { merge: true }) as {
    services: Record<string, { image?: string; build?: unknown; pull_policy?: string }>;
  };
  const services = Object.entries(compose.services);
  assert.equal(services.length, 3);
  const images = new Set(services.map(([, s]) => s.image));
  assert.equal(images.size, 1, "one image name");
  assert.ok([...images][0], "an image name");
  const builders = services.filter(([, s]) => s.build !== undefined);
  assert.equal(builders.length, 1, "exactly one service builds it");
  for (const [name, s] of services) {
    if (s.build === undefined) assert.equal(s.pull_policy, "never", `${name} never pulls it`);
  }
});

test("the image carries the OCI labels, its version package.json's by default", () => {
  const args = new Map(
    runtime
      .filter((i) => i.getKeyword() === "ARG")
      .map((i) => {
        const [name, value = ""] = (i.getArgumentsContent() ?? "").split("=");
        return [name as string, value];
      }),
  );
  assert.equal(args.get("VERSION"), pkg.version, "ARG VERSION follows package.json");
  assert.ok(args.has("SOURCE") && args.has("LICENSES"));
  const labels = runtime
    .filter((i) => i.getKeyword() === "LABEL")
    .map((i) => i.getArgumentsContent() ?? "")
    .join(" ");
  for (const [label, arg] of [
    ["org.opencontainers.image.version", "VERSION"],
    ["org.opencontainers.image.source", "SOURCE"],
    ["org.opencontainers.image.licenses", "LICENSES"],
  ] as const) {
    assert.match(labels, new RegExp(`${label.replaceAll(".", "\\.")}="\\$\\{${arg}\\}"`));
  }
});
