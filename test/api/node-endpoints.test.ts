import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { GENESIS_HASH } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { mineNext } from "../helpers/tiny-chain.js";

const D = 2;
let node: TestMiner;
before(async () => {
  node = await startTestMiner({ mine: false, difficulty: D });
});
after(async () => node.stop());

async function chain(): Promise<Block[]> {
  return (await http(`${node.url}/chain`)).body.chain;
}

test("GET /status gives every SPEC field", async () => {
  const { status, body } = await http(`${node.url}/status`);
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(body).sort(), [
    "address",
    "difficulty",
    "hashrate",
    "length",
    "miner_engine",
    "mining",
    "neighbours",
    "node_id",
    "pending",
    "proof_rule",
    "storage",
    "tip",
    "version",
  ]);
  assert.deepEqual(body.storage, { journal: "ok", backup: "ok", last_backup: null, error: null });
  assert.equal(body.proof_rule, "original");
  assert.equal(body.length, 1);
  assert.equal(body.tip, GENESIS_HASH);
  assert.equal(body.difficulty, D);
  assert.equal(body.mining, false);
  assert.ok(["native-sha-ni", "native-portable", "js"].includes(body.miner_engine));
  assert.equal(body.address, `127.0.0.1:${node.miner.port}`);
  assert.match(body.version, /^\d+\.\d+\.\d+/);
  assert.match(body.node_id, /^[0-9a-f]{32}$/);
});

test("POST /blocks accepts a block on the tip, then the same again is not better", async () => {
  const [genesis] = await chain();
  const block = mineNext(genesis as Block, D, "announced");
  const first = await postJson(`${node.url}/blocks`, { blocks: [block] });
  assert.equal(first.status, 200);
  assert.deepEqual(first.body, { accepted: true, length: 2 });
  const again = await postJson(`${node.url}/blocks`, { blocks: [block] });
  assert.deepEqual(again.body, { accepted: false, length: 2 });
});

test("POST /blocks answers 409 when the first block's parent is unknown", async () => {
  const tip = (await chain()).at(-1) as Block;
  const orphanParent = mineNext(tip, D, "never announced");
  const orphan = mineNext(orphanParent, D, "orphan");
  const { status, body } = await postJson(`${node.url}/blocks`, { blocks: [orphan] });
  assert.equal(status, 409);
  assert.equal(typeof body.message, "string");
});

test("POST /blocks answers 400 naming the invalid block", async () => {
  const tip = (await chain()).at(-1) as Block;
  const forged = { ...mineNext(tip, D, "forged"), proof: 1 };
  const { status, body } = await postJson(`${node.url}/blocks`, { blocks: [forged] });
  assert.equal(status, 400);
  assert.match(body.message, new RegExp(`block ${tip.index + 1} is invalid`));
  const malformed = await postJson(`${node.url}/blocks`, { blocks: [{ index: "x" }] });
  assert.equal(malformed.status, 400);
  const notArray = await postJson(`${node.url}/blocks`, { blocks: "x" });
  assert.equal(notArray.status, 400);
});

test("GET /blocks pages through the chain; GET /blocks/:index gives one block or 404", async () => {
  const all = await chain();
  const page = await http(`${node.url}/blocks?from=1&limit=1`);
  assert.equal(page.status, 200);
  assert.deepEqual(page.body, { blocks: [all[1]], length: all.length });
  const whole = await http(`${node.url}/blocks`);
  assert.deepEqual(whole.body.blocks, all);
  const beyond = await http(`${node.url}/blocks?from=${all.length + 5}`);
  assert.deepEqual(beyond.body, { blocks: [], length: all.length });
  const one = await http(`${node.url}/blocks/1`);
  assert.deepEqual(one.body, all[1]);
  const missing = await http(`${node.url}/blocks/999`);
  assert.equal(missing.status, 404);
  assert.match(missing.body.message, /no block at index 999/);
  for (const bad of [
    "/blocks?from=-1",
    "/blocks?limit=0",
    "/blocks?from=abc",
    "/blocks/-3",
    `/blocks?from=${"9".repeat(400)}`,
    "/blocks/99999999999999999999",
  ]) {
    const { status, body } = await http(`${node.url}${bad}`);
    assert.equal(status, 400, bad);
    assert.equal(typeof body.message, "string");
  }
});

test("POST /data relays messages; known ones are not added twice; malformed ones answer 400", async () => {
  const data = [
    { id: "c".repeat(32), message: "relayed 1" },
    { id: "d".repeat(32), message: "relayed 2" },
  ];
  const first = await postJson(`${node.url}/data`, { data });
  assert.deepEqual(first.body, { added: 2 });
  const again = await postJson(`${node.url}/data`, { data });
  assert.deepEqual(again.body, { added: 0 });
  const bad = await postJson(`${node.url}/data`, { data: [{ id: "XYZ", message: "m" }] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /data.id/);
});

test("GET /data/:id tells pending, confirmed with confirmations, or 404", async () => {
  const pending = await http(`${node.url}/data/${"c".repeat(32)}`);
  assert.deepEqual(pending.body, { id: "c".repeat(32), message: "relayed 1", status: "pending" });
  const all = await chain();
  const confirmed = await http(`${node.url}/data/${(all[1] as Block).data.id}`);
  assert.deepEqual(confirmed.body, {
    ...(all[1] as Block).data,
    status: "confirmed",
    index: 1,
    confirmations: all.length - 1,
  });
  const missing = await http(`${node.url}/data/${"e".repeat(32)}`);
  assert.equal(missing.status, 404);
});

test("GET /events streams block events as blocks join the chain", async () => {
  const controller = new AbortController();
  const response = await fetch(`${node.url}/events`, { signal: controller.signal });
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const tip = (await chain()).at(-1) as Block;
  const block = mineNext(tip, D, "streamed");
  await postJson(`${node.url}/blocks`, { blocks: [block] });
  let text = "";
  const decoder = new TextDecoder();
  while (!text.includes("event: block")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  controller.abort();
  const payload = text.split("event: block\ndata: ")[1]?.split("\n")[0] ?? "";
  assert.deepEqual(JSON.parse(payload), block);
  assert.equal(hashBlock(JSON.parse(payload)), hashBlock(block));
});

test("GET /metrics answers the Prometheus text format", async () => {
  const { status, body, headers } = await http(`${node.url}/metrics`);
  assert.equal(status, 200);
  assert.match(headers.get("content-type") ?? "", /text\/plain/);
  assert.match(body, /^# HELP blockchain_chain_length /m);
  assert.match(body, /^blockchain_chain_length \d+$/m);
  assert.match(body, /^# TYPE blockchain_hashes_total counter$/m);
});

test("GET /openapi.json documents every endpoint", async () => {
  const { status, body } = await http(`${node.url}/openapi.json`);
  assert.equal(status, 200);
  assert.match(body.openapi, /^3\./);
  const expected: [string, string][] = [
    ["/add", "put"],
    ["/add", "post"],
    ["/chain", "get"],
    ["/neighbours", "get"],
    ["/data", "get"],
    ["/data", "post"],
    ["/status", "get"],
    ["/blocks", "get"],
    ["/blocks", "post"],
    ["/blocks/{index}", "get"],
    ["/data/{id}", "get"],
    ["/events", "get"],
    ["/metrics", "get"],
    ["/openapi.json", "get"],
  ];
  for (const [path, method] of expected)
    assert.ok(body.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
  assert.ok(body.components.schemas.Block);
});
