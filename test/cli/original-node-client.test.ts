import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readOriginalChainFile } from "../../src/storage/original/original-chain-file.js";
import { FIXTURE_MESSAGES, ORIGINAL_JSON } from "../helpers/original-chain.js";
import { OriginalNodeStandIn } from "../helpers/original-node.js";
import { runCli } from "../helpers/run-cli.js";

let original: OriginalNodeStandIn;
let port: string;
before(async () => {
  const { blocks } = await readOriginalChainFile(ORIGINAL_JSON);
  original = await OriginalNodeStandIn.start({
    chain: blocks,
    neighbours: [["127.0.0.1", 23456]],
  });
  port = String(original.port);
});
after(async () => original.stop());

test("add against the original node sends PUT /add?message= and says it was added", async () => {
  const message = 'über & more: 100% "quoted" + spaced/slashed?';
  const run = await runCli(["add", message, "--port", port]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(
    run.stdout,
    "Message added! (no id given: the node runs the original Python node)\n",
  );
  assert.equal(original.requests.at(-1)?.method, "PUT");
  assert.equal(original.pending.at(-1)?.message, message);
});

test("get chain decodes the original's nested jsonpickle chain", async () => {
  const run = await runCli(["get", "chain", "--port", port]);
  assert.equal(run.code, 0, run.stderr);
  for (const message of FIXTURE_MESSAGES) assert.ok(run.stdout.includes(message), run.stdout);
  assert.match(
    run.stdout,
    /^#1 {2}2026-11-26T\d\d:\d\d:\d\d\.\d{3}Z {2}proof 3969 {2}d495d0b4b3204fe2a2337eedab039d81$/m,
  );
  assert.match(run.stdout, /\n5 blocks\n$/);
  const json = await runCli(["get", "chain", "--port", port, "--json"]);
  const answer = JSON.parse(json.stdout) as {
    chain: {
      index: number;
      timestamp: number;
      proof: number | null;
      previous_hash: string | null;
    }[];
    length: number;
  };
  assert.equal(answer.length, 5);
  assert.deepEqual(
    answer.chain.map((b) => b.index),
    [0, 1, 2, 3, 4],
  );
  assert.equal(answer.chain[1]?.timestamp, 1795690768828);
  assert.equal(answer.chain[1]?.proof, 3969);
  assert.equal(answer.chain[0]?.previous_hash, null);
});

test("get neighbours decodes the original's set of (host, port) tuples", async () => {
  const run = await runCli(["get", "neighbours", "--port", port]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "127.0.0.1:23456\n");
  const json = await runCli(["get", "neighbours", "--port", port, "--json"]);
  assert.deepEqual(JSON.parse(json.stdout), { neighbours: ["127.0.0.1:23456"], length: 1 });
});

test("get data decodes the original's set of Data", async () => {
  await runCli(["add", "waiting in the set", "--port", port]);
  const run = await runCli(["get", "data", "--port", port, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const list = JSON.parse(run.stdout) as { id: string; message: string }[];
  const entry = list.find((d) => d.message === "waiting in the set");
  assert.ok(entry);
  assert.match(entry.id, /^[0-9a-f]{32}$/);
});

test("get status against the original node exits 1 saying it runs the original", async () => {
  const run = await runCli(["get", "status", "--port", port]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /'status' is not a valid endpoint!.*runs the original Python node/);
});
