import assert from "node:assert/strict";
import { test } from "node:test";
import type { Block } from "../../src/core/block.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { RecordPage } from "../../src/storage/codecs/record-page.js";
import { buildChain } from "../helpers/chain-factory.js";

const BLOCKS = buildChain(12, { difficulty: 1, messages: ["hi", "grüße 🎉", "a\nb"] }).slice(1);

function recordsOf(format: "json" | "binary", blocks: readonly Block[]): Buffer {
  return Buffer.concat(blocks.map((b) => codecFor(format).encodeRecord(b)));
}

function blocksOf(page: RecordPage): Block[] {
  return Array.from({ length: page.count }, (_, i) => page.blockAt(i) as Block);
}

for (const format of ["json", "binary"] as const) {
  test(`a page of ${format} records is framed, sliced and decoded on demand`, () => {
    const page = RecordPage.frame(codecFor(format), recordsOf(format, BLOCKS), 1);
    assert.ok(page instanceof RecordPage, String(page));
    assert.equal(page.count, 11);
    assert.deepEqual(blocksOf(page), BLOCKS);
    const part = page.slice(3, 7);
    assert.equal(part.from, 4);
    assert.deepEqual(blocksOf(part), BLOCKS.slice(3, 7));
    assert.ok(part.bytes.equals(recordsOf(format, BLOCKS.slice(3, 7))));
    assert.deepEqual(blocksOf(page.after(9)), BLOCKS.slice(9));
    assert.equal(page.after(11).count, 0);
    assert.equal(page.blockAt(11), "the page has no record 11");

    const other = format === "json" ? "binary" : "json";
    const converted = page.inCodec(codecFor(other));
    assert.ok(converted instanceof RecordPage, String(converted));
    assert.ok(converted.bytes.equals(recordsOf(other, BLOCKS)));
    const reframed = RecordPage.frame(codecFor(other), converted.bytes, 1) as RecordPage;
    assert.deepEqual(converted.starts, reframed.starts);
  });

  test(`a ${format} page cut inside a record is no page`, () => {
    const bytes = recordsOf(format, BLOCKS);
    const framed = RecordPage.frame(codecFor(format), bytes.subarray(0, bytes.length - 2), 1);
    assert.match(String(framed), /^record 10 of the page is cut short/);
  });
}

test("a binary record whose length check fails is no page, and one that does not decode does not convert", () => {
  const bytes = recordsOf("binary", BLOCKS);
  const damaged = Buffer.from(bytes);
  damaged.writeUInt32LE(7, 4);
  assert.match(
    String(RecordPage.frame(codecFor("binary"), damaged, 1)),
    /^record 0 of the page has a damaged header/,
  );
  const flipped = Buffer.from(bytes);
  (flipped[30] as number) ^= 0xff;
  const page = RecordPage.frame(codecFor("binary"), flipped, 1) as RecordPage;
  assert.match(String(page.inCodec(codecFor("json"))), /^record 0 of the page: CRC32 mismatch/);
});
