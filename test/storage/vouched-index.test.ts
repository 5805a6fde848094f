import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { indexVouchedChain, loadVouchedChain } from "../../src/storage/chain-load.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { IdIndex } from "../../src/storage/index/id-index.js";
import { nativeChainIndex, type RecordIndex } from "../../src/storage/index/native-chain-index.js";
import { buildChain } from "../helpers/chain-factory.js";

/*
 * The trusted start's index of a vouched-for file, native (native/chain-index.c)
 * and TypeScript (the codecs' indexVouched, IdIndex.fromIds): both give the
 * same starts, ids and hashes, and both refuse (null) the same files.
 */

const FORMATS = ["json", "binary"] as const;
const NATIVE = nativeChainIndex("1");
const SKIP_NATIVE = NATIVE === null ? "the native addon is not built" : false;
const CHAIN = buildChain(40, { difficulty: 1, messages: ["hello", 'a "quoted" \\ line\nnext'] });

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString("hex"));

/**
 * Blocks laid out as the node writes them; their hashes need not link (the
 * index checks no rule). JSON also holds the float timestamps of imported chains.
 */
const blockIn = (format: "json" | "binary") =>
  fc.record({
    index: fc.nat(),
    timestamp:
      format === "json"
        ? fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e22, noNaN: true }))
        : fc.nat(),
    data: fc.record({
      id: hex(16),
      // Keys of the layout inside the message must not mislead the index.
      message: fc.oneof(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.constantFrom('"previous_hash":"', ',"proof":7}', '"id":"', "\n", '\\"}'),
      ),
    }),
    previous_hash: hex(32),
    proof: fc.nat(),
  });
const chainsIn = (format: "json" | "binary") =>
  fc
    .array(blockIn(format), { minLength: 1, maxLength: 12 })
    .map((blocks) => [CHAIN[0] as Block, ...blocks]);

function fileOf(chain: readonly Block[], format: "json" | "binary"): Buffer {
  const codec = codecFor(format);
  return Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
}

/** What the index of `chain`'s file must hold. */
function expected(chain: readonly Block[], format: "json" | "binary"): RecordIndex {
  const codec = codecFor(format);
  const starts: number[] = [];
  let at = codec.header.length;
  for (const b of chain) {
    starts.push(at);
    at += codec.encodeRecord(b).length;
  }
  const hashes = Buffer.alloc(chain.length * 32);
  for (let i = 1; i < chain.length; i++) {
    hashes.write(chain[i]?.previous_hash as string, (i - 1) * 32, 32, "hex");
  }
  return {
    starts: Float64Array.from(starts),
    ids: Buffer.from(chain.map((b) => b.data.id).join(""), "hex"),
    hashes,
  };
}

/** The index without the last hash slot, which no record's previous_hash fills. */
function comparable(index: RecordIndex | null) {
  if (index === null) return null;
  const count = index.starts.length;
  return {
    starts: Array.from(index.starts),
    ids: index.ids.toString("hex"),
    hashes: index.hashes.subarray(0, (count - 1) * 32).toString("hex"),
  };
}

for (const format of FORMATS) {
  const codec = codecFor(format);

  test(`${format}: the TypeScript index reads every record's start, id and previous_hash (property)`, () => {
    fc.assert(
      fc.property(chainsIn(format), (chain) => {
        assert.deepEqual(
          comparable(codec.indexVouched(fileOf(chain, format), null)),
          comparable(expected(chain, format)),
        );
      }),
    );
  });

  test(`${format}: the native index equals the TypeScript one, on sound files and on damaged ones (property)`, {
    skip: SKIP_NATIVE,
  }, () => {
    fc.assert(
      fc.property(
        chainsIn(format),
        fc.array(fc.record({ at: fc.nat(), byte: fc.nat(255) }), { maxLength: 3 }),
        fc.nat(),
        (chain, flips, cut) => {
          const sound = fileOf(chain, format);
          const damaged = Buffer.from(sound);
          for (const { at, byte } of flips) damaged[at % damaged.length] = byte;
          for (const bytes of [sound, damaged, sound.subarray(0, cut % (sound.length + 1))]) {
            assert.deepEqual(
              comparable(codec.indexVouched(bytes, NATIVE)),
              comparable(codec.indexVouched(bytes, null)),
            );
            // Where a chunk's whole records end, natively or not (from the header, and from a cut).
            for (const from of [codec.header.length, cut % (bytes.length + 1)]) {
              if (from > bytes.length) continue;
              assert.equal(
                codec.wholeRecordsEnd(bytes, from, NATIVE),
                codec.wholeRecordsEnd(bytes, from, null),
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
}

/** Files of records not laid out as the node writes them: both indexes give null (the full check runs). */
const MISLAID: [string, "json" | "binary", (file: Buffer) => Buffer][] = [
  ["json: an id in upper case", "json", (f) => replaceOnce(f, CHAIN[3]?.data.id as string, true)],
  ["json: a space after a key", "json", (f) => swap(f, '"timestamp":', '"timestamp": ')],
  ["json: a block after genesis with previous_hash null", "json", (f) => nullPrevious(f)],
  ["json: a last line without its newline", "json", (f) => f.subarray(0, f.length - 1)],
  ["json: a file in the binary format", "json", () => fileOf(CHAIN, "binary")],
  ["binary: a damaged length field", "binary", (f) => flip(f, 8 + 4)],
  ["binary: a block after genesis flagged without previous_hash", "binary", (f) => noPrevious(f)],
  ["binary: a record cut short", "binary", (f) => f.subarray(0, f.length - 3)],
  ["binary: a file without the header", "binary", () => fileOf(CHAIN, "json")],
];

for (const [name, format, mislay] of MISLAID) {
  test(`${name}: no index, natively or not`, () => {
    const bytes = mislay(fileOf(CHAIN, format));
    assert.equal(codecFor(format).indexVouched(bytes, null), null);
    if (NATIVE) assert.equal(codecFor(format).indexVouched(bytes, NATIVE), null);
  });
}

function swap(file: Buffer, from: string, to: string): Buffer {
  return Buffer.from(file.toString("utf8").replace(from, to));
}

function replaceOnce(file: Buffer, id: string, upper: boolean): Buffer {
  return swap(file, id, upper ? id.toUpperCase() : id);
}

function nullPrevious(file: Buffer): Buffer {
  return swap(file, `"previous_hash":"${CHAIN[5]?.previous_hash}"`, '"previous_hash":null');
}

function flip(file: Buffer, at: number): Buffer {
  const out = Buffer.from(file);
  out[at] = (out[at] as number) ^ 0xff;
  return out;
}

/** The binary file with block 5's flags saying "no previous_hash" (its record otherwise as written). */
function noPrevious(file: Buffer): Buffer {
  const codec = codecFor("binary");
  let at = codec.header.length;
  for (let i = 0; i < 5; i++) at += codec.encodeRecord(CHAIN[i] as Block).length;
  const out = Buffer.from(file);
  out[at + 8] = (out[at + 8] as number) | 0x01;
  return out;
}

const ids16 = fc.array(hex(16), { minLength: 1, maxLength: 300 });

test("IdIndex.fromIds: as adding the ids one by one, natively or not; the first duplicate is named (property)", () => {
  fc.assert(
    fc.property(ids16, fc.array(fc.tuple(fc.nat(), fc.nat())), (ids, copies) => {
      for (const [from, to] of copies) ids[to % ids.length] = ids[from % ids.length] as string;
      const bytes = Buffer.from(ids.join(""), "hex");
      const firstRepeat = ids.findIndex((id, i) => ids.indexOf(id) < i);
      for (const native of NATIVE ? [null, NATIVE] : [null]) {
        const { index, duplicate } = IdIndex.fromIds(Buffer.from(bytes), ids.length, native);
        assert.equal(duplicate, firstRepeat);
        if (duplicate >= 0) continue;
        for (const [i, id] of ids.entries()) assert.equal(index.get(id), i);
        // Built in bulk, it goes on as one built block by block: adds, truncations.
        const extra = "f".repeat(32);
        assert.equal(index.add(extra), ids.includes(extra) ? ids.indexOf(extra) : undefined);
        index.truncate(1);
        assert.equal(index.size, 1);
        assert.equal(index.get(ids[0] as string), 0);
        if (ids.length > 1 && ids[1] !== ids[0])
          assert.equal(index.get(ids[1] as string), undefined);
      }
    }),
  );
});

test("IdIndex.fromIds: a million sequential ids, natively and not, find every block", () => {
  const count = 1_000_000;
  const bytes = Buffer.alloc(count * 16);
  for (let i = 0; i < count; i++) bytes.writeUInt32BE(i, i * 16 + 12);
  for (const native of NATIVE ? [null, NATIVE] : [null]) {
    const { index, duplicate } = IdIndex.fromIds(Buffer.from(bytes), count, native);
    assert.equal(duplicate, -1);
    for (let i = 0; i < count; i += 997) {
      assert.equal(index.get(i.toString(16).padStart(32, "0")), i);
    }
  }
});

test("IdIndex.fromIds: on a table of many regions (filled region by region natively), the first repeated id is named wherever the repeats fall, and a table without repeats finds every id", () => {
  const count = 200_000;
  const base = Buffer.alloc(count * 16);
  for (let i = 0; i < count; i++) {
    base.writeUInt32BE(Math.imul(i, 2654435761) >>> 0, i * 16);
    base.writeUInt32BE(i, i * 16 + 12);
  }
  // Repeats: [earlier block, later block whose id becomes the earlier one's]; the first is the smallest later block.
  const cases: Array<Array<[number, number]>> = [
    [],
    [[5, 150_000]],
    [
      [199_990, 199_999],
      [3, 120_000],
      [70_000, 120_001],
    ],
    [[0, 1]],
  ];
  for (const repeats of cases) {
    const bytes = Buffer.from(base);
    for (const [from, to] of repeats) bytes.copy(bytes, to * 16, from * 16, from * 16 + 16);
    const expected = repeats.length === 0 ? -1 : Math.min(...repeats.map(([, to]) => to));
    for (const native of NATIVE ? [null, NATIVE] : [null]) {
      const { index, duplicate } = IdIndex.fromIds(bytes, count, native);
      assert.equal(
        duplicate,
        expected,
        `${native ? "native" : "TypeScript"}, repeats ${JSON.stringify(repeats)}`,
      );
      if (duplicate >= 0) continue;
      for (let i = 0; i < count; i++) assert.equal(index.indexOfBytes(bytes, i * 16), i);
      assert.equal(index.get("ab".repeat(16)), undefined);
    }
  }
});

for (const format of FORMATS) {
  test(`${format}: loadVouchedChain holds the same chain natively and not`, {
    skip: SKIP_NATIVE,
  }, () => {
    const bytes = fileOf(CHAIN, format);
    const load = (native: typeof NATIVE) => {
      const copy = Buffer.from(bytes);
      const indexed = indexVouchedChain(copy, codecFor(format), native);
      return loadVouchedChain("chain", copy, codecFor(format), { difficulty: 1 }, indexed, 10);
    };
    const [withNative, without] = [load(NATIVE), load(null)];
    assert.ok(withNative && without);
    for (const [i, b] of CHAIN.entries()) {
      assert.equal(withNative.records.hashAt(i), hashBlock(b));
      assert.equal(without.records.hashAt(i), hashBlock(b));
      assert.deepEqual(withNative.records.blockAt(i), b);
      assert.equal(withNative.ids.get(b.data.id), i);
      assert.equal(without.ids.get(b.data.id), i);
    }
  });
}
