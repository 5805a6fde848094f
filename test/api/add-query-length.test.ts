import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DEFAULTS } from "../../src/config/config.js";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";

/*
 * PUT /add?message= takes any message within --max-message-bytes, however it is
 * percent-encoded: 'é' is 2 bytes of UTF-8 and 6 characters (%C3%A9) in the URL,
 * so 6,000 of them make a request line past Node's default 16 KiB header limit.
 */

let node: TestMiner;
let big: TestMiner;
before(async () => {
  node = await startTestMiner({ mine: false });
  big = await startTestMiner({ mine: false, maxMessageBytes: 100_000 });
});
after(async () => {
  await node.stop();
  await big.stop();
});

function put(url: string, message: string) {
  return http(`${url}/add?message=${encodeURIComponent(message)}`, { method: "PUT" });
}

async function assertStored(url: string, message: string): Promise<void> {
  const { status, body } = await put(url, message);
  assert.equal(status, 200, JSON.stringify(body).slice(0, 200));
  const stored = await http(`${url}/data/${body.id}`);
  assert.equal(stored.body.message, message);
}

test("6,000 é's (12,000 bytes, a 36,000-character query) are accepted", async () => {
  await assertStored(node.url, "é".repeat(6000));
});

test("a message of exactly --max-message-bytes, every byte percent-encoded, is accepted", async () => {
  assert.equal(DEFAULTS.maxMessageBytes % 2, 0);
  await assertStored(node.url, "é".repeat(DEFAULTS.maxMessageBytes / 2));
  await assertStored(big.url, "é".repeat(50_000));
});

test("one byte more is refused with 413, not a 431 from the HTTP parser", async () => {
  const { status, body } = await put(node.url, `${"é".repeat(DEFAULTS.maxMessageBytes / 2)}a`);
  assert.equal(status, 413);
  assert.match(body.message, /limit/);
});

test("headers beyond what a message needs are still refused (431)", async () => {
  const { status } = await http(`${node.url}/status`, {
    headers: { "x-padding": "a".repeat(3 * DEFAULTS.maxMessageBytes + 20_000) },
  });
  assert.equal(status, 431);
});
