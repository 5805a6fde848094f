import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32 as crc } from "node:zlib";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { BINARY_CODEC } from "../../src/storage/codecs/binary-codec.js";
import { nativeTranscode } from "../../src/storage/codecs/native-transcode.js";
import { binaryToJsonLines } from "../../src/storage/codecs/record-transcode.js";
import { buildChain } from "../helpers/chain-factory.js";

const MESSAGES = [
  "hello",
  "grüße, 世界 🎉",
  'quote " back \\ slash\n\t\u0001',
  "del \u007f and bom \ufeff and line sep \u2028",
  "lone \ud800 surrogate",
  "",
  "x".repeat(3000),
];

function binaryRecords(blocks: readonly Block[]): Buffer {
  return Buffer.concat(blocks.map((b) => BINARY_CODEC.encodeRecord(b)));
}

function jsonLines(blocks: readonly Block[]): string {
  return blocks.map((b) => `${encodeBlock(b)}\n`).join("");
}

test("binary records become exactly the canonical JSON lines of their blocks", () => {
  const chain = buildChain(40, { difficulty: 1, messages: MESSAGES });
  const big: Block = {
    index: Number.MAX_SAFE_INTEGER,
    timestamp: 2 ** 40 + 7,
    data: { id: "f".repeat(32), message: "big numbers" },
    previous_hash: "0".repeat(64),
    proof: 2 ** 50 + 3,
  };
  const blocks = [genesisBlock(), ...chain.slice(1), big];
  const out = binaryToJsonLines(binaryRecords(blocks));
  assert.ok(typeof out !== "string", String(out));
  assert.equal(out.bytes.toString("utf8"), jsonLines(blocks));
  let at = 0;
  for (const [i, block] of blocks.entries()) {
    assert.equal(out.starts[i], at);
    at += Buffer.byteLength(`${encodeBlock(block)}\n`);
  }
});

test("own records transcode the same without their CRCs checked, and stop before a byte budget", () => {
  const blocks = buildChain(30, { difficulty: 1, messages: MESSAGES }).slice(1);
  const records = binaryRecords(blocks);
  const checked = binaryToJsonLines(records);
  assert.deepEqual(binaryToJsonLines(records, Number.POSITIVE_INFINITY, true), checked);
  const lines = blocks.map((b) => Buffer.byteLength(`${encodeBlock(b)}\n`));
  const budget = lines.slice(0, 10).reduce((a, b) => a + b, 0);
  const capped = binaryToJsonLines(records, budget) as { bytes: Buffer; starts: number[] };
  assert.equal(capped.starts.length, 10);
  assert.equal(capped.bytes.toString("utf8"), jsonLines(blocks.slice(0, 10)));
  const one = binaryToJsonLines(records, 1) as { starts: number[] };
  assert.equal(one.starts.length, 1, "the first line always fits");
});

test("the addon's lines of own records are TypeScript's, every form, every byte budget, every split", (t) => {
  const native = nativeTranscode();
  if (!native) {
    t.skip("the addon is not built (or BLOCKCHAIN_NATIVE turns it off)");
    return;
  }
  // Every form: genesis (no parent hash, no proof), escapes, non-ASCII, a message
  // the addon leaves (UTF-16 flag on lone surrogates, empty), big numbers, a long one.
  const big: Block = {
    index: Number.MAX_SAFE_INTEGER,
    timestamp: 2 ** 40 + 7,
    data: { id: "f".repeat(32), message: 'big numbers " \\ \u0000' },
    previous_hash: "0".repeat(64),
    proof: 2 ** 50 + 3,
  };
  const chain = buildChain(60, { difficulty: 1, messages: MESSAGES });
  const blocks = [genesisBlock(), ...chain.slice(1), big];
  const records = binaryRecords(blocks);
  const lines = blocks.map((b) => Buffer.byteLength(`${encodeBlock(b)}\n`));
  let total = 0;
  const budgets = [0, 1, Number.POSITIVE_INFINITY];
  for (const length of lines) {
    total += length;
    budgets.push(total, total - 1, total + 1);
  }
  for (const budget of budgets) {
    const expected = binaryToJsonLines(records, budget, true, null);
    assert.deepEqual(
      binaryToJsonLines(records, budget, true, native),
      expected,
      `budget ${budget}`,
    );
  }
  assert.equal(
    (
      binaryToJsonLines(records, Number.POSITIVE_INFINITY, true, native) as { bytes: Buffer }
    ).bytes.toString(),
    jsonLines(blocks),
  );
  // Cut anywhere: the addon and TypeScript stop at the same record with the same reason.
  for (let cut = 0; cut < records.length; cut += 37) {
    const part = records.subarray(0, cut);
    assert.deepEqual(
      binaryToJsonLines(part, Number.POSITIVE_INFINITY, true, native),
      binaryToJsonLines(part, Number.POSITIVE_INFINITY, true, null),
      `cut at ${cut}`,
    );
  }
});

test("an empty run gives no lines", () => {
  assert.deepEqual(binaryToJsonLines(Buffer.alloc(0)), { bytes: Buffer.alloc(0), starts: [] });
});

test("damage is reported with the record it is in, never transcoded", () => {
  const blocks = buildChain(5, { difficulty: 1 }).slice(1);
  const good = binaryRecords(blocks);
  const second = BINARY_CODEC.encodeRecord(blocks[0] as Block).length;

  const flipped = Buffer.from(good);
  (flipped[second + 20] as number) ^= 1;
  assert.match(String(binaryToJsonLines(flipped)), /^record 1 of the page: CRC32 mismatch/);

  assert.match(
    String(binaryToJsonLines(good.subarray(0, good.length - 3))),
    /^record 3 of the page: the record is cut short/,
  );

  const badLength = Buffer.from(good);
  badLength.writeUInt32LE(5, 0);
  assert.match(
    String(binaryToJsonLines(badLength)),
    /^record 0 of the page: damaged record header/,
  );
});

test("a sound frame around a payload that holds no block is refused as the codec refuses it", () => {
  const payloads = [
    Buffer.from([0x80]), // unknown flag
    Buffer.from([0x00, 0x81]), // the index varint runs out
    Buffer.concat([Buffer.from([0x00, 1, 2]), Buffer.alloc(10)]), // id cut short
    Buffer.concat([Buffer.from([0x00, 1, 2]), Buffer.alloc(48), Buffer.from([1, 0xff, 0xfe])]), // bad UTF-8
    Buffer.concat([Buffer.from([0x04, 1, 2]), Buffer.alloc(48), Buffer.from([1, 0x41])]), // odd UTF-16
  ];
  for (const payload of payloads) {
    const record = frame(payload);
    const expected = BINARY_CODEC.decodeRecord(record);
    assert.equal(typeof expected, "string");
    assert.equal(binaryToJsonLines(record), `record 0 of the page: ${expected}`);
  }
});

/** A payload in a sound frame (length, its NOT, CRC). */
function frame(payload: Buffer): Buffer {
  const out = Buffer.alloc(8 + payload.length + 4);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(~payload.length >>> 0, 4);
  payload.copy(out, 8);
  // zlib's CRC-32 of the frame's first 8 bytes and the payload.
  out.writeUInt32LE(crc(out.subarray(0, 8 + payload.length)), 8 + payload.length);
  return out;
}
