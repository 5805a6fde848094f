import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { type ProofRuleName, proofRuleNamed } from "../../src/core/proof-rules.js";
import { type CheckedRecords, checkChainRecords } from "../../src/storage/check/chain-check.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { checkChainRecordsInParallel } from "../../src/storage/parallel-check.js";
import { buildChain } from "../helpers/chain-factory.js";

/*
 * The full check cut into slices checked by real worker threads gives what
 * the check on one thread gives: the same valid records, hashes, ids and
 * first failure, wherever the damage lies relative to the cuts.
 */

const D = 1;
const LENGTH = 48;
const CHAINS: Record<ProofRuleName, Block[]> = {
  original: buildChain(LENGTH, { difficulty: D, messages: ["a", "bé", 'c"\n'] }),
  content: buildChain(LENGTH, { difficulty: D, messages: ["x"], rule: "content" }),
};

type Format = "json" | "binary";

/** The file of `chain` in shared memory, with `line` (JSON) spelt otherwise when given. */
function sharedFile(format: Format, chain: readonly Block[], respelt = -1): Buffer {
  const codec = codecFor(format);
  const records = chain.map((b, i) =>
    i === respelt && format === "json"
      ? Buffer.from(`${encodeBlock(b).replace(":", ": ")}\n`)
      : codec.encodeRecord(b),
  );
  const plain = Buffer.concat([codec.header, ...records]);
  const shared = Buffer.from(new SharedArrayBuffer(plain.length));
  plain.copy(shared);
  return shared;
}

function comparable(checked: CheckedRecords) {
  return {
    count: checked.count,
    starts: Array.from(checked.starts),
    hashes: checked.hashes.toString("hex"),
    ids: checked.ids.toString("hex"),
    failure: checked.failure,
    notCanonical: checked.notCanonical,
    leastZeros: checked.leastZeros,
  };
}

/** Chains with one fault at block `at` (or none), each as the file bytes for a format. */
function cases(rule: ProofRuleName, format: Format): [string, Buffer][] {
  const chain = CHAINS[rule];
  const change = (at: number, edit: (b: Block) => Block) =>
    chain.map((b) => (b.index === at ? edit(structuredClone(b)) : b));
  const out: [string, Buffer][] = [["sound", sharedFile(format, chain)]];
  for (const at of [1, 12, 13, 24, 25, 36, 47]) {
    out.push([
      `broken link at ${at}`,
      sharedFile(
        format,
        change(at, (b) => ({ ...b, previous_hash: "ab".repeat(32) })),
      ),
    ]);
    out.push([
      `id of block ${Math.floor(at / 3)} repeated at ${at}`,
      sharedFile(
        format,
        change(at, (b) => ({
          ...b,
          data: { ...b.data, id: (chain[Math.floor(at / 3)] as Block).data.id },
        })),
      ),
    ]);
  }
  if (format === "json") {
    out.push(["not canonical at 30", sharedFile(format, chain, 30)]);
    out.push(["not canonical at 12", sharedFile(format, chain, 12)]);
  }
  const flipped = sharedFile(format, chain);
  const at = Math.floor(flipped.length * 0.6);
  flipped[at] = (flipped[at] as number) ^ 0x02;
  out.push(["a flipped byte", flipped]);
  return out;
}

describe("the full check on several threads = on one", () => {
  for (const format of ["json", "binary"] as const) {
    for (const rule of ["original", "content"] as const) {
      it(`${format}, ${rule} rule: sound and damaged files, 2 and 4 slices`, async () => {
        const opts = { difficulty: D, rule: proofRuleNamed(rule), now: 1_800_000_000_000 };
        for (const [name, bytes] of cases(rule, format)) {
          const codec = codecFor(format);
          const measured = { ...opts, measureWork: name === "sound" };
          const one = comparable(checkChainRecords(codec, bytes, measured));
          for (const parts of [2, 4]) {
            const split = { parts, minBytes: 0 };
            const many = await checkChainRecordsInParallel(codec, bytes, measured, split);
            assert.deepEqual(comparable(many), one, `${name}, ${parts} slices`);
          }
        }
      });
    }
  }

  it("a file not in shared memory, or a small one, is checked on this thread", async () => {
    const codec = codecFor("json");
    const plain = Buffer.concat(CHAINS.original.map((b) => codec.encodeRecord(b)));
    const opts = { difficulty: D };
    const expected = comparable(checkChainRecords(codec, plain, opts));
    assert.deepEqual(comparable(await checkChainRecordsInParallel(codec, plain, opts)), expected);
    const shared = sharedFile("json", CHAINS.original);
    assert.deepEqual(comparable(await checkChainRecordsInParallel(codec, shared, opts)), expected);
  });
});
