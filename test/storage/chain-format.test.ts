import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Block } from "../../src/core/block.js";
import { GENESIS_BLOCK } from "../../src/core/genesis.js";
import { ChainLoadError } from "../../src/storage/chain-load-error.js";
import { BINARY_CODEC } from "../../src/storage/codecs/binary-codec.js";
import { codecFor, detectFormat, normalizeFormat } from "../../src/storage/codecs/chain-format.js";
import { JSON_LINES_CODEC } from "../../src/storage/codecs/json-lines-codec.js";

const hex = (chars: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: chars, maxLength: chars });
/** Any UTF-16 code unit, lone surrogates included: a JS string the API may be given. */
const anyText = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  minLength: 1,
});
const safeNat = fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER), fc.maxSafeNat());

const arbBlock: fc.Arbitrary<Block> = fc
  .record({
    index: safeNat,
    timestamp: safeNat,
    data: fc.record({ id: hex(32), message: anyText }),
    previous_hash: fc.option(hex(64), { nil: null }),
    proof: fc.option(safeNat, { nil: null }),
  })
  .map((b) => ({ ...b, data: { ...b.data } })); // plain objects, as decoders give

for (const codec of [JSON_LINES_CODEC, BINARY_CODEC]) {
  test(`${codec.format}: blocks round-trip through encode and decode`, () => {
    fc.assert(
      fc.property(fc.array(arbBlock, { minLength: 1, maxLength: 5 }), (blocks) => {
        const bytes = Buffer.concat([codec.header, ...blocks.map((b) => codec.encodeRecord(b))]);
        const decoded = codec.decode(bytes, "mem");
        assert.deepEqual(decoded.records, blocks);
        assert.equal(decoded.end, bytes.length);
        assert.equal(decoded.torn, null);
        assert.equal(decoded.offsets[0], codec.header.length);
      }),
    );
  });

  test(`${codec.format}: any bytes decode or throw ChainLoadError, nothing else`, () => {
    const sound = Buffer.concat([codec.header, codec.encodeRecord(GENESIS_BLOCK)]);
    fc.assert(
      fc.property(fc.nat(sound.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const bytes = Buffer.from(sound);
        bytes[at] = byte;
        try {
          codec.decode(bytes, "mem");
        } catch (err) {
          assert.ok(err instanceof ChainLoadError, String(err));
        }
      }),
    );
  });
}

test("the genesis block's JSON Lines record is its canonical encoding and a newline", () => {
  const line = JSON_LINES_CODEC.encodeRecord(GENESIS_BLOCK).toString("utf8");
  assert.equal(
    line,
    '{"index":0,"timestamp":0,"data":{"id":"00000000000000000000000000000000","message":"This is the workload of the very first Block in this chain!"},"previous_hash":null,"proof":null}\n',
  );
});

test("a binary record is much smaller than its JSON line", () => {
  const block: Block = {
    index: 123456,
    timestamp: 1_700_000_000_000,
    data: { id: "ab".repeat(16), message: "hello" },
    previous_hash: "cd".repeat(32),
    proof: 987654,
  };
  const binary = BINARY_CODEC.encodeRecord(block).length;
  const json = JSON_LINES_CODEC.encodeRecord(block).length;
  assert.ok(binary < json / 2, `binary ${binary} bytes, json ${json} bytes`);
});

test("a binary file starts with the BCHAIN magic and version 1", () => {
  assert.deepEqual([...BINARY_CODEC.header], [...Buffer.from("BCHAIN"), 1, 0]);
  assert.equal(detectFormat(BINARY_CODEC.header), "binary");
  assert.equal(detectFormat(Buffer.from('{"index":0}\n')), "json");
});

test("normalizeFormat accepts json, binary and pickle (= binary)", () => {
  assert.equal(normalizeFormat("json"), "json");
  assert.equal(normalizeFormat("binary"), "binary");
  assert.equal(normalizeFormat("pickle"), "binary");
  assert.equal(codecFor(normalizeFormat("pickle")).format, "binary");
});

test("normalizeFormat refuses other names with an error that lists the accepted ones", () => {
  assert.throws(() => normalizeFormat("yaml"), /unknown chain format 'yaml'.*json, binary, pickle/);
});

test("the binary encoder refuses a block whose id is not lowercase hex", () => {
  const bad = { ...GENESIS_BLOCK, data: { id: "AB".repeat(16), message: "x" } };
  assert.throws(() => BINARY_CODEC.encodeRecord(bad), /data\.id must be 32 lowercase hex/);
});
