import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GENESIS_BLOCK } from "../../src/core/genesis.js";
import { http, postJson, startTestMiner, type TestMiner } from "../helpers/start-miner.js";

let node: TestMiner;
before(async () => {
  // No mining: these tests check the answers, not the miner.
  node = await startTestMiner({ mine: false, maxMessageBytes: 64 });
});
after(async () => node.stop());

test("PUT /add?message= answers the original's text with the new id", async () => {
  const { status, body } = await http(
    `${node.url}/add?message=${encodeURIComponent("hello world")}`,
    { method: "PUT" },
  );
  assert.equal(status, 200);
  assert.equal(body.message, "Message added!");
  assert.equal(body.more_information, "Will be mined in a future block.");
  assert.match(body.id, /^[0-9a-f]{32}$/);
  assert.deepEqual(Object.keys(body), ["message", "more_information", "id"]);
});

test("PUT /add without a message, or with an empty one, answers 400 'No Message added!'", async () => {
  for (const path of ["/add", "/add?message="]) {
    const { status, body } = await http(`${node.url}${path}`, { method: "PUT" });
    assert.equal(status, 400, path);
    assert.deepEqual(body, { message: "No Message added!", more_information: "Missing data." });
  }
});

test("POST /add takes a JSON body and answers like PUT /add", async () => {
  const { status, body } = await postJson(`${node.url}/add`, { message: "posted" });
  assert.equal(status, 200);
  assert.equal(body.message, "Message added!");
  const missing = await postJson(`${node.url}/add`, {});
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, {
    message: "No Message added!",
    more_information: "Missing data.",
  });
});

test("a message over --max-message-bytes answers 413 naming the limit", async () => {
  const { status, body } = await postJson(`${node.url}/add`, { message: "é".repeat(40) });
  assert.equal(status, 413);
  assert.match(body.message, /80 bytes.*limit of 64/);
});

test("a malformed JSON body answers 400 with a JSON message", async () => {
  const { status, body } = await http(`${node.url}/add`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{not json",
  });
  assert.equal(status, 400);
  assert.equal(typeof body.message, "string");
});

test("a body over the API's limit answers 413", async () => {
  const { status, body } = await postJson(`${node.url}/data`, {
    data: [{ id: "a".repeat(32), message: "x".repeat(9 * 1024 * 1024) }],
  });
  assert.equal(status, 413);
  assert.match(body.message, /too large/);
});

test("GET /data lists the pending messages", async () => {
  const added = await postJson(`${node.url}/add`, { message: "pending one" });
  const { status, body } = await http(`${node.url}/data`);
  assert.equal(status, 200);
  assert.ok(Array.isArray(body));
  assert.deepEqual(
    body.find((d: { id: string }) => d.id === added.body.id),
    { id: added.body.id, message: "pending one" },
  );
});

test("GET /chain answers plain JSON {chain, length}", async () => {
  const { status, body } = await http(`${node.url}/chain`);
  assert.equal(status, 200);
  assert.equal(body.length, 1);
  assert.deepEqual(body.chain, [GENESIS_BLOCK]);
});

test("GET /neighbours answers {neighbours, length}", async () => {
  const { status, body } = await http(`${node.url}/neighbours`);
  assert.equal(status, 200);
  assert.deepEqual(body, { neighbours: [], length: 0 });
});

test("an unknown path answers 404 with the original's text, without the leading slash", async () => {
  const { status, body } = await http(`${node.url}/foo/bar?x=1`);
  assert.equal(status, 404);
  assert.deepEqual(body, { message: "'foo/bar' is not a valid endpoint!" });
  const spaced = await http(`${node.url}/foo%20bar`);
  assert.deepEqual(spaced.body, { message: "'foo bar' is not a valid endpoint!" });
  const wrongMethod = await http(`${node.url}/chain`, { method: "DELETE" });
  assert.equal(wrongMethod.status, 404);
  assert.deepEqual(wrongMethod.body, { message: "'chain' is not a valid endpoint!" });
});

test("PUT /add?message= works with a JSON content type and no body", async () => {
  const { status, body } = await http(`${node.url}/add?message=typed`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
  });
  assert.equal(status, 200);
  assert.equal(body.message, "Message added!");
});

test("POST /add without a body, or with a body that is not an object, answers 'No Message added!'", async () => {
  const cases: RequestInit[] = [
    { method: "POST" },
    { method: "POST", headers: { "content-type": "application/json" }, body: "null" },
    { method: "POST", headers: { "content-type": "application/json" }, body: "[1]" },
  ];
  for (const init of cases) {
    const { status, body } = await http(`${node.url}/add`, init);
    assert.equal(status, 400, String(init.body));
    assert.deepEqual(body, { message: "No Message added!", more_information: "Missing data." });
  }
  const notString = await postJson(`${node.url}/add`, { message: 42 });
  assert.equal(notString.status, 400);
  assert.equal(notString.body.message, "message must be a string");
});
