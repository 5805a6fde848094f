// The explorer's HTTP side: what registerExplorer serves, and `blockchain ui`'s flags.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { registerExplorer } from "../../src/api/explorer.js";

const INDEX = `<!doctype html><html><head><meta name="blockchain-node" content=""><script type="module" src="/ui/app.js"></script></head><body></body></html>`;
let dir = "";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "bc-explorer-route-"));
  await mkdir(join(dir, "built"));
  await writeFile(join(dir, "built", "index.html"), INDEX);
  await writeFile(join(dir, "built", "app.js"), "console.log('app');");
  await writeFile(join(dir, "built", "style.css"), "body{}");
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function explorer(opts: { nodeUrl?: string; built?: boolean } = {}) {
  const app = Fastify();
  const uiDir = join(dir, opts.built === false ? "missing" : "built");
  registerExplorer(app, opts.nodeUrl ? { nodeUrl: opts.nodeUrl, uiDir } : { uiDir });
  return app;
}

test("without a build, / answers 503 with a JSON message saying how to build it", async () => {
  const response = await explorer({ built: false }).inject({ method: "GET", url: "/" });
  assert.equal(response.statusCode, 503);
  assert.deepEqual(response.json(), { message: "the explorer is not built; run npm run build" });
});

test("served by a node, the page calls its own origin (an empty node URL)", async () => {
  const response = await explorer().inject({ method: "GET", url: "/" });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers["content-type"]), /^text\/html/);
  assert.match(response.body, /<meta name="blockchain-node" content="">/);
  assert.match(String(response.headers["content-security-policy"]), /script-src 'self'/);
});

test("served on its own, the page is told the node's URL, escaped", async () => {
  const response = await explorer({ nodeUrl: 'http://127.0.0.1:12345/?a="b"&c' }).inject({
    method: "GET",
    url: "/",
  });
  assert.match(
    response.body,
    /<meta name="blockchain-node" content="http:\/\/127\.0\.0\.1:12345\/\?a=&quot;b&quot;&amp;c">/,
  );
});

test("the assets are served under /ui/ with their types; nothing else is", async () => {
  const app = explorer();
  const js = await app.inject({ method: "GET", url: "/ui/app.js" });
  assert.equal(js.statusCode, 200);
  assert.match(String(js.headers["content-type"]), /^text\/javascript/);
  const css = await app.inject({ method: "GET", url: "/ui/style.css" });
  assert.match(String(css.headers["content-type"]), /^text\/css/);
  for (const url of ["/ui/index.html", "/ui/..%2Fsecret", "/ui/%2E%2E%2Fapp.js"]) {
    const response = await app.inject({ method: "GET", url });
    assert.equal(response.statusCode, 404, url);
    assert.equal(typeof response.json().message, "string");
  }
});

test("a node URL that is not http(s) is refused at once", () => {
  assert.throws(() => registerExplorer(Fastify(), { nodeUrl: "ftp://example.org" }), TypeError);
  assert.throws(() => registerExplorer(Fastify(), { nodeUrl: "not a url" }), TypeError);
});

test("`blockchain ui` refuses a bad --node or --port with exit code 2, naming the flag", () => {
  const bin = fileURLToPath(new URL("../../../bin/blockchain", import.meta.url));
  for (const args of [
    ["--node", "ftp://example.org"],
    ["--port", "70000"],
  ]) {
    const result = spawnSync(process.execPath, [bin, "ui", ...args], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(args[0] as string));
  }
});
