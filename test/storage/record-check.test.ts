import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { hashBlock, sha256Bytes } from "../../src/core/hash.js";
import { candidateOf, trailingZeroDigits } from "../../src/core/pow.js";
import {
  CONTENT_PROOF_RULE,
  type ProofRuleName,
  proofRuleNamed,
} from "../../src/core/proof-rules.js";
import { MAX_FUTURE_DRIFT_MS, validateExtension } from "../../src/core/validate.js";
import { nativeRecordCheck } from "../../src/storage/check/native-record-check.js";
import {
  checkRecordRun,
  checkRecordRunJs,
  checkRecordRunNative,
  type RecordRunResult,
  type RunParent,
} from "../../src/storage/check/record-check.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { IdIndex } from "../../src/storage/index/id-index.js";
import { binaryRecord } from "../helpers/binary-record.js";
import { buildChain, contentNonce } from "../helpers/chain-factory.js";

const D = 1;
const FORMATS = ["json", "binary"] as const;
const RULES = ["original", "content"] as const;
const NOW = 1_800_000_000_000;
const LENGTH = 12;
const CHAINS: Record<ProofRuleName, Block[]> = {
  original: buildChain(LENGTH, {
    difficulty: D,
    messages: ["hello", "grüße, 世界 🎉", 'quote " back \\ slash\n\t\u0001', "x".repeat(300)],
  }),
  content: buildChain(LENGTH, { difficulty: D, rule: "content", messages: ["hi", "ünï"] }),
};

type Checker = typeof checkRecordRunJs;

/** The native check on one engine (null where the addon is not built). */
function nativeOn(engine: "1" | "portable"): Checker | null {
  const native = nativeRecordCheck(engine);
  if (native === null) return null;
  return (codec, bytes, parent, known, opts) =>
    checkRecordRunNative(codec, bytes, parent, known, opts, native);
}

/** Every path: the one callers use, the TypeScript reference, and the addon's engines. */
const CHECKERS: [string, Checker][] = [
  ["checkRecordRun", checkRecordRun],
  ["checkRecordRunJs", checkRecordRunJs],
  ...(["1", "portable"] as const).flatMap((engine): [string, Checker][] => {
    const check = nativeOn(engine);
    return check ? [[`native (BLOCKCHAIN_NATIVE=${engine})`, check]] : [];
  }),
];

function parentOf(block: Block): RunParent {
  return {
    index: block.index,
    timestamp: block.timestamp,
    proof: block.proof,
    hash: Buffer.from(hashBlock(block), "hex"),
  };
}

function recordsOf(format: "json" | "binary", blocks: readonly unknown[]): Buffer {
  const codec = codecFor(format);
  return Buffer.concat(
    blocks.map((b) =>
      format === "json" ? Buffer.from(`${JSON.stringify(b)}\n`) : codec.encodeRecord(b as Block),
    ),
  );
}

/** The ids of `blocks` in an IdIndex (what the chain before a run holds). */
function knownIds(blocks: readonly Block[]): IdIndex {
  const ids = new IdIndex();
  for (const b of blocks) ids.add(b.data.id);
  return ids;
}

interface Case {
  format: "json" | "binary";
  rule: ProofRuleName;
  /** The blocks after CHAIN[0..from), as written. */
  from: number;
  records: Buffer;
}

function run(
  check: Checker,
  c: Case,
  extra: { now?: number; maxMessageBytes?: number } = {},
): RecordRunResult {
  const chain = CHAINS[c.rule];
  return check(
    codecFor(c.format),
    c.records,
    parentOf(chain[c.from - 1] as Block),
    knownIds(chain.slice(0, c.from)),
    { difficulty: D, rule: proofRuleNamed(c.rule), now: NOW, ...extra },
  );
}

function expectFailure(
  result: RecordRunResult,
  index: number,
  reason: string | RegExp,
  flags: { future?: boolean; notCanonical?: boolean; damaged?: "BAD_RECORD" | "BAD_CRC" } = {},
): void {
  assert.ok(result.failure, "the run should fail");
  assert.equal(result.failure.index, index);
  if (typeof reason === "string") assert.equal(result.failure.reason, reason);
  else assert.match(result.failure.reason, reason);
  assert.equal(result.failure.future, flags.future);
  assert.equal(result.failure.notCanonical, flags.notCanonical);
  assert.equal(result.failure.damaged, flags.damaged);
}

/** Block `i` of the chain under `rule` with `change` applied and the rest re-proven only if asked. */
function altered(rule: ProofRuleName, i: number, change: (b: Record<string, unknown>) => void) {
  const blocks = structuredClone(CHAINS[rule]) as unknown as Record<string, unknown>[];
  change(blocks[i] as Record<string, unknown>);
  return blocks;
}

for (const [name, check] of CHECKERS) {
  describe(`${name}: good runs`, () => {
    for (const format of FORMATS) {
      for (const rule of RULES) {
        it(`${format}, ${rule} rule: every record valid, with its start, hash and id`, () => {
          const chain = CHAINS[rule];
          for (const from of [1, 5, LENGTH - 1]) {
            const blocks = chain.slice(from);
            const records = recordsOf(format, blocks);
            const result = run(check, { format, rule, from, records });
            assert.equal(result.failure, null);
            assert.equal(result.count, blocks.length);
            let at = 0;
            for (const [i, block] of blocks.entries()) {
              assert.equal(result.starts[i], at);
              at += codecFor(format).encodeRecord(block).length;
              assert.equal(result.hashes.toString("hex", i * 32, i * 32 + 32), hashBlock(block));
              assert.equal(result.ids.toString("hex", i * 16, i * 16 + 16), block.data.id);
            }
            assert.equal(result.hashes.length, blocks.length * 32);
            assert.equal(result.ids.length, blocks.length * 16);
          }
        });
      }
      it(`${format}: an empty run is valid and holds nothing`, () => {
        const result = run(check, { format, rule: "original", from: 3, records: Buffer.alloc(0) });
        assert.deepEqual(
          { ...result, hashes: result.hashes.length, ids: result.ids.length },
          { count: 0, starts: [], hashes: 0, ids: 0, failure: null },
        );
      });
    }
  });

  describe(`${name}: each rule broken gives linkProblem's reason, at the first bad block`, () => {
    for (const format of FORMATS) {
      for (const rule of RULES) {
        const at = 4;
        const index = at;
        const failing = (blocks: unknown[]) =>
          run(check, { format, rule, from: 1, records: recordsOf(format, blocks.slice(1)) });
        const afterIt = (result: RecordRunResult) => {
          assert.equal(result.count, at - 1, "the records before it are valid");
          assert.equal(result.starts.length, at - 1);
          assert.equal(result.hashes.length, (at - 1) * 32);
        };

        it(`${format}, ${rule}: index`, () => {
          const result = failing(altered(rule, at, (b) => (b.index = 9)));
          expectFailure(result, index, `index is 9, expected ${at}`);
          afterIt(result);
        });
        it(`${format}, ${rule}: previous_hash`, () => {
          const result = failing(altered(rule, at, (b) => (b.previous_hash = "ab".repeat(32))));
          expectFailure(result, index, "previous_hash is not the hash of the preceding block");
          afterIt(result);
        });
        it(`${format}, ${rule}: proof`, () => {
          // A proof that fails at difficulty 1 under this rule (searched, so the test is certain).
          const blocks = altered(rule, at, () => {});
          const block = blocks[at] as unknown as Block;
          const parent = blocks[at - 1] as unknown as Block;
          const ruleOf = proofRuleNamed(rule);
          let proof = 0;
          while (ruleOf.isValid({ ...block, proof }, parent, D)) proof++;
          block.proof = proof;
          const result = failing(blocks);
          expectFailure(
            result,
            index,
            `proof ${proof} is not a valid proof of work at difficulty 1`,
          );
          afterIt(result);
        });
        it(`${format}, ${rule}: timestamp not later than the parent's`, () => {
          const blocks = altered(rule, at, (b) => {
            b.timestamp = (CHAINS[rule][at - 1] as Block).timestamp;
          });
          if (rule === "content") reprove(blocks[at] as unknown as Block);
          const result = failing(blocks);
          expectFailure(result, index, "timestamp is not later than the preceding block's");
          afterIt(result);
        });
        it(`${format}, ${rule}: timestamp in the far future, flagged`, () => {
          const result = run(
            check,
            {
              format,
              rule,
              from: 1,
              records: recordsOf(format, CHAINS[rule].slice(1)),
            },
            { now: (CHAINS[rule][at] as Block).timestamp - MAX_FUTURE_DRIFT_MS - 1 },
          );
          expectFailure(result, index, "timestamp is more than 2 hours in the future", {
            future: true,
          });
          afterIt(result);
        });
        it(`${format}, ${rule}: message empty or too long`, () => {
          const empty = altered(rule, at, (b) => ((b.data as { message: string }).message = ""));
          if (rule === "content") reprove(empty[at] as unknown as Block);
          expectFailure(failing(empty), index, "message must not be empty");
          const records = recordsOf(format, CHAINS[rule].slice(1));
          const bytes = Buffer.byteLength((CHAINS[rule][1] as Block).data.message);
          const result = run(
            check,
            { format, rule, from: 1, records },
            { maxMessageBytes: bytes - 1 },
          );
          expectFailure(
            result,
            1,
            `message is ${bytes} bytes of UTF-8, more than the limit of ${bytes - 1}`,
          );
          assert.equal(result.count, 0);
        });
        it(`${format}, ${rule}: a data id already in the chain, or earlier in the run`, () => {
          const chain = CHAINS[rule];
          const copyOf = (from: number) =>
            altered(rule, at, (b) => {
              (b.data as { id: string }).id = (chain[from] as Block).data.id;
            });
          for (const from of [0, 2]) {
            const blocks = copyOf(from);
            if (rule === "content") reprove(blocks[at] as unknown as Block);
            relinkAfter(rule, blocks as unknown as Block[], at);
            const id = (chain[from] as Block).data.id;
            // From 3 on: id 2 is in the run (from = 3 makes it known, from = 1 earlier in the run).
            for (const start of [1, 3]) {
              const result = run(check, {
                format,
                rule,
                from: start,
                records: recordsOf(format, blocks.slice(start)),
              });
              expectFailure(result, index, `data id ${id} already appears in an earlier block`);
              assert.equal(result.count, at - start);
            }
          }
        });
      }
    }
  });

  describe(`${name}: the work a run shows`, () => {
    for (const format of FORMATS) {
      for (const rule of RULES) {
        it(`${format}, ${rule}: with measureWork, the fewest trailing zeros of any proof digest`, () => {
          const chain = CHAINS[rule];
          const ruleOf = proofRuleNamed(rule);
          let least = 64;
          for (let i = 1; i < chain.length; i++) {
            const block = chain[i] as Block;
            const input = ruleOf.searchInput(block, chain[i - 1] as Block);
            const digest = sha256Bytes(candidateOf(input, block.proof as number));
            least = Math.min(least, trailingZeroDigits(digest));
          }
          const records = recordsOf(format, chain.slice(1));
          const c = { format, rule, from: 1, records };
          assert.equal(run(check, c).leastZeros, undefined);
          const opts = { difficulty: D, rule: ruleOf, now: NOW, measureWork: true };
          const measured = check(
            codecFor(format),
            records,
            parentOf(chain[0] as Block),
            knownIds(chain.slice(0, 1)),
            opts,
          );
          assert.equal(measured.failure, null);
          assert.equal(measured.leastZeros, least);
          const none = check(
            codecFor(format),
            Buffer.alloc(0),
            parentOf(chain[0] as Block),
            knownIds(chain.slice(0, 1)),
            opts,
          );
          assert.equal(none.leastZeros, 64);
        });
      }
    }
  });

  describe(`${name}: records that are not whole, sound or exact`, () => {
    const blocks = CHAINS.original.slice(1);
    it("json: a line that is not JSON names its block", () => {
      const lines = recordsOf("json", blocks).toString().split("\n");
      lines[2] = "{not json";
      const result = run(check, {
        format: "json",
        rule: "original",
        from: 1,
        records: Buffer.from(lines.join("\n")),
      });
      expectFailure(result, 3, /^not valid JSON \(/, { damaged: "BAD_RECORD" });
      assert.equal(result.count, 2);
    });
    it("json: a shape that is not a block gives the shape's reason", () => {
      const list = altered("original", 2, (b) => (b.extra = 1)).slice(1);
      const result = run(check, {
        format: "json",
        rule: "original",
        from: 1,
        records: recordsOf("json", list),
      });
      expectFailure(result, 2, "block has unknown field(s): extra");
      const arr = Buffer.from(`[1,2]\n`);
      expectFailure(
        run(check, { format: "json", rule: "original", from: 1, records: arr }),
        1,
        "block must be an object",
      );
    });
    it("json: a valid block in another spelling is not canonical", () => {
      for (const spelling of [
        (b: Block) => JSON.stringify(b, null, 1).replaceAll("\n", ""),
        (b: Block) => `${encodeBlock(b)} `,
        (b: Block) => encodeBlock(b).replace('"index"', '"\\u0069ndex"'),
        (b: Block) => encodeBlock(b).replace("hello", "hell\\u006f"),
      ]) {
        const lines = blocks.map((b) => encodeBlock(b));
        lines[4] = spelling(blocks[4] as Block);
        const records = Buffer.from(`${lines.join("\n")}\n`);
        const result = run(check, { format: "json", rule: "original", from: 1, records });
        expectFailure(result, 5, "the record is not the canonical encoding of its block", {
          notCanonical: true,
        });
        assert.equal(result.count, 4);
      }
    });
    it("json: bytes that are not UTF-8 are not canonical, though they decode to the same text", () => {
      const lines = blocks.map((b) => Buffer.from(`${encodeBlock(b)}\n`));
      const block = {
        ...(blocks[2] as Block),
        data: { ...(blocks[2] as Block).data, message: "@" },
      };
      const line = Buffer.from(`${encodeBlock(block)}\n`);
      line[line.indexOf("@")] = 0xff; // decodes to U+FFFD, whose UTF-8 is three other bytes
      lines[2] = line;
      const records = Buffer.concat(lines.slice(0, 3));
      const result = run(check, { format: "json", rule: "original", from: 1, records });
      expectFailure(result, 3, "the record is not the canonical encoding of its block", {
        notCanonical: true,
      });
    });
    it("json: a run cut inside its last line names that block", () => {
      const records = recordsOf("json", blocks);
      const result = run(check, {
        format: "json",
        rule: "original",
        from: 1,
        records: records.subarray(0, records.length - 1),
      });
      expectFailure(
        result,
        LENGTH - 1,
        "the record is cut short (the bytes end before its newline)",
        { damaged: "BAD_RECORD" },
      );
      assert.equal(result.count, LENGTH - 2);
    });
    it("binary: a run cut inside a record, a damaged length, a bad CRC", () => {
      const codec = codecFor("binary");
      const records = blocks.map((b) => codec.encodeRecord(b));
      const whole = Buffer.concat(records);
      const startOf = (i: number) => records.slice(0, i).reduce((n, r) => n + r.length, 0);
      for (const cut of [startOf(3) + 3, startOf(3) + 20, whole.length - 1]) {
        const result = run(check, {
          format: "binary",
          rule: "original",
          from: 1,
          records: whole.subarray(0, cut),
        });
        assert.equal(result.failure?.reason, "the record is cut short (the bytes end inside it)");
        assert.equal(result.failure?.damaged, "BAD_RECORD");
      }
      const damaged = Buffer.from(whole);
      damaged[startOf(3) + 5] = (damaged[startOf(3) + 5] as number) ^ 1;
      expectFailure(
        run(check, { format: "binary", rule: "original", from: 1, records: damaged }),
        4,
        "damaged record header (its length check fails)",
        { damaged: "BAD_RECORD" },
      );
      const flipped = Buffer.from(whole);
      flipped[startOf(3) + 12] = (flipped[startOf(3) + 12] as number) ^ 1;
      expectFailure(
        run(check, { format: "binary", rule: "original", from: 1, records: flipped }),
        4,
        "CRC32 mismatch: the record is damaged",
        { damaged: "BAD_CRC" },
      );
    });
    it("binary: a record that holds no block (bad flags, short payload, bad UTF-8)", () => {
      const codec = codecFor("binary");
      const good = codec.encodeRecord(blocks[0] as Block);
      const payload = good.subarray(8, good.length - 4);
      const withFlags = Buffer.from(payload);
      withFlags[0] = 0x08;
      const cases: [Buffer, string][] = [
        [withFlags, "bad record flags"],
        [payload.subarray(0, 10), "record payload is too short or holds a bad number"],
        [Buffer.concat([payload, Buffer.from([0xff])]), "message is not valid UTF-8"],
      ];
      for (const [bad, reason] of cases) {
        const result = run(check, {
          format: "binary",
          rule: "original",
          from: 1,
          records: binaryRecord(bad),
        });
        expectFailure(result, 1, reason, { damaged: "BAD_RECORD" });
      }
    });
    it("binary: a valid block in a longer varint or as UTF-16 is not the exact encoding", () => {
      const codec = codecFor("binary");
      const block = blocks[0] as Block;
      const good = codec.encodeRecord(block);
      const payload = good.subarray(8, good.length - 4);
      // index 1 as a two-byte varint (0x81 0x00), then the rest of the payload.
      const longVarint = Buffer.concat([
        payload.subarray(0, 1),
        Buffer.from([0x81, 0x00]),
        payload.subarray(2),
      ]);
      const messageAt = payload.length - Buffer.byteLength(block.data.message);
      const utf16 = Buffer.concat([
        Buffer.from([(payload[0] as number) | 0x04]),
        payload.subarray(1, messageAt),
        Buffer.from(block.data.message, "utf16le"),
      ]);
      for (const bad of [longVarint, utf16]) {
        const result = run(check, {
          format: "binary",
          rule: "original",
          from: 1,
          records: Buffer.concat([
            binaryRecord(bad),
            ...blocks.slice(1).map((b) => codec.encodeRecord(b)),
          ]),
        });
        expectFailure(result, 1, "the record is not the exact binary encoding of its block", {
          notCanonical: true,
        });
        assert.equal(result.count, 0);
      }
    });
    it("binary: a message with a lone surrogate travels as UTF-16 and is valid", () => {
      const chain = buildChain(4, { difficulty: D, messages: ["a\ud800b", "ok"] });
      const codec = codecFor("binary");
      const records = Buffer.concat(chain.slice(1).map((b) => codec.encodeRecord(b)));
      const result = checkRecordRunJs(
        codec,
        records,
        parentOf(chain[0] as Block),
        knownIds(chain.slice(0, 1)),
        {
          difficulty: D,
          now: NOW,
        },
      );
      assert.equal(result.failure, null);
      assert.equal(result.hashes.toString("hex", 0, 32), hashBlock(chain[1] as Block));
    });
  });
}

describe("checkRecordRunJs agrees with validateExtension over Block objects", () => {
  it("on every single-field change of every block (json, both rules)", () => {
    const changes: ((b: Record<string, unknown>) => void)[] = [
      (b) => (b.index = (b.index as number) + 1),
      (b) => (b.index = "1"),
      (b) => (b.timestamp = -1),
      (b) => (b.timestamp = 1.5),
      (b) => (b.proof = (b.proof as number) + 1),
      (b) => (b.proof = null),
      (b) => (b.previous_hash = null),
      (b) => (b.previous_hash = "AB".repeat(32)),
      (b) => delete b.proof,
      (b) => (b.data = { id: "00", message: "m" }),
      (b) => (b.data = { id: (b.data as { id: string }).id, message: 5 }),
      (b) => (b.data = { id: (b.data as { id: string }).id, message: "m", x: 1 }),
      (b) => (b.data = null),
    ];
    for (const rule of RULES) {
      for (let at = 1; at < LENGTH; at++) {
        for (const change of changes) {
          const blocks = altered(rule, at, change);
          const opts = { difficulty: D, rule: proofRuleNamed(rule), now: NOW };
          const chain = CHAINS[rule];
          const expected = validateExtension(
            chain[0] as Block,
            blocks.slice(1),
            new Set([(chain[0] as Block).data.id]),
            opts,
          );
          const result = checkRecordRunJs(
            codecFor("json"),
            recordsOf("json", blocks.slice(1)),
            parentOf(chain[0] as Block),
            knownIds(chain.slice(0, 1)),
            opts,
          );
          if (expected.ok) {
            assert.equal(result.failure, null);
            continue;
          }
          assert.deepEqual(
            { index: result.failure?.index, reason: result.failure?.reason },
            { index: expected.index, reason: expected.reason },
          );
        }
      }
    }
  });
});

/** A content-rule block's proof searched again after a change (its hash is its proof). */
function reprove(block: Block): void {
  if (CONTENT_PROOF_RULE.isValid(block, block, D)) return;
  block.proof = contentNonce(block, D);
}

/** Blocks after `at` linked again to the changed block (and, content rule, re-proven). */
function relinkAfter(rule: ProofRuleName, blocks: Block[], at: number): void {
  for (let i = at + 1; i < blocks.length; i++) {
    const block = blocks[i] as Block;
    block.previous_hash = hashBlock(blocks[i - 1] as Block);
    if (rule === "content") block.proof = contentNonce(block, D);
  }
}
