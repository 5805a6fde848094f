import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { loadNativeAddon } from "../../src/config/native-addon.js";
import { digestMeetsDifficulty, type ProofSearchInput } from "../../src/core/pow.js";
import { loadNativeScanner, type NativeScanner } from "../../src/mining/native-scanner.js";
import { scanProofs } from "../../src/mining/proof-scanner.js";

const best = loadNativeScanner("1").scanner;
const portable = loadNativeScanner("portable").scanner;
/**
 * The portable engine one candidate at a time ("scalar", an engine name the
 * addon takes for tests): on a CPU with AVX2, "portable" hashes 8 lanes at once.
 */
function scalarScanner(): NativeScanner | null {
  const addon = loadNativeAddon();
  if (addon instanceof Error || portable === null) return null;
  const native = addon as unknown as {
    scan(...args: [Uint8Array, Uint8Array, number, number, number, string]): {
      found: number;
      hashes: number;
    };
    digest(prefix: Uint8Array, suffix: Uint8Array, nonce: number, engine: string): Buffer;
  };
  return {
    engine: "native-portable",
    scan: (prefix, suffix, start, count, difficulty) =>
      native.scan(prefix, suffix, start, count, difficulty, "scalar"),
    digest: (prefix, suffix, nonce) => native.digest(prefix, suffix, nonce, "scalar"),
  };
}
const engines = [best, portable, scalarScanner()].filter((s): s is NativeScanner => s !== null);
const skip = engines.length === 0 ? "the native core is not built on this machine" : false;

function bytes(input: ProofSearchInput): [Buffer, Buffer] {
  return [Buffer.from(input.prefix), Buffer.from(input.suffix)];
}

function sha256(input: ProofSearchInput, nonce: number): Buffer {
  return createHash("sha256").update(`${input.prefix}${nonce}${input.suffix}`).digest();
}

/** The smallest valid nonce of [start, end) by node:crypto, one candidate at a time. */
function reference(input: ProofSearchInput, start: number, end: number, difficulty: number) {
  for (let nonce = start; nonce < end; nonce++) {
    if (digestMeetsDifficulty(sha256(input, nonce), difficulty)) return nonce;
  }
  return -1;
}

describe("native scanner", { skip }, () => {
  it("loads the engine BLOCKCHAIN_NATIVE asks for", () => {
    assert.equal(loadNativeScanner("0").engine, "js");
    assert.equal(loadNativeScanner("0").scanner, null);
    assert.equal(loadNativeScanner("portable").engine, "native-portable");
    assert.match(loadNativeScanner(undefined).engine, /^native-(sha-ni|portable)$/);
  });

  it("hashes like node:crypto across every block boundary, with both engines", () => {
    for (const scanner of engines) {
      for (let prefixLength = 0; prefixLength <= 200; prefixLength++) {
        for (const suffix of ["", "}", "x".repeat(47), "é".repeat(70)]) {
          for (const nonce of [0, 7, 99, 123_456, Number.MAX_SAFE_INTEGER]) {
            const input = { prefix: "p".repeat(prefixLength), suffix };
            const [prefixBytes, suffixBytes] = bytes(input);
            assert.equal(
              scanner.digest(prefixBytes, suffixBytes, nonce).toString("hex"),
              sha256(input, nonce).toString("hex"),
              `${scanner.engine}: prefix ${prefixLength} bytes, suffix ${suffix.length}, nonce ${nonce}`,
            );
          }
        }
      }
    }
  });

  it("finds the same smallest proof as the TypeScript scanner, for any prefix, suffix and difficulty", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 150 }),
        fc.oneof(fc.constant(""), fc.constant("}"), fc.string({ unit: "grapheme", maxLength: 80 })),
        fc.oneof(
          fc.nat({ max: 2000 }),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 3000 }),
        ),
        fc.integer({ min: 1, max: 3 }),
        (prefix, suffix, start, difficulty) => {
          const input = { prefix, suffix };
          const ts = scanProofs(input, start, start + 2000, difficulty);
          for (const scanner of engines) {
            const native = scanner.scan(...bytes(input), start, 2000, difficulty);
            assert.equal(native.found, ts.proof ?? -1, scanner.engine);
            assert.equal(native.hashes, ts.hashes, scanner.engine);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("follows the nonce across a change in its number of digits", () => {
    // A prefix of 50 to 56 bytes: one more digit takes the candidate's tail from one
    // block to two in the middle of a step, so lanes of one step differ in blocks.
    const inputs = [{ prefix: "42", suffix: "" }];
    for (let length = 50; length <= 56; length++) {
      inputs.push({ prefix: "4".repeat(length), suffix: "" });
    }
    for (const input of inputs) {
      for (const start of [0, 995, 9_999_990, 999_999_999_999_990]) {
        for (const scanner of engines) {
          let from = start;
          // Every valid nonce of the range, in order, as node:crypto finds them.
          while (from < start + 300) {
            const want = reference(input, from, start + 300, 1);
            const got = scanner.scan(...bytes(input), from, start + 300 - from, 1);
            const what = `${scanner.engine}, prefix ${input.prefix.length} bytes, from ${from}`;
            assert.equal(got.found, want, what);
            if (want < 0) break;
            from = want + 1;
          }
        }
      }
    }
  });

  it("finds the smallest valid nonce wherever it falls among the lanes, and at every range end", () => {
    // Every valid nonce of a range, each as the first of a range starting at every offset
    // before it (so at every lane of a 4- or 8-lane step), and ranges cut just after and
    // just before it (the last lanes of a range, fewer than a step).
    const input = { prefix: "1234567", suffix: "" };
    const difficulty = 2;
    const valid: number[] = [];
    for (let nonce = 0; valid.length < 6 && nonce < 100_000; nonce++) {
      if (digestMeetsDifficulty(sha256(input, nonce), difficulty)) valid.push(nonce);
    }
    assert.equal(valid.length, 6);
    for (const scanner of engines) {
      for (const nonce of valid) {
        for (let offset = 0; offset <= 17; offset++) {
          const start = Math.max(0, nonce - offset);
          const want = reference(input, start, nonce + 1, difficulty);
          const got = scanner.scan(...bytes(input), start, nonce + 1 - start, difficulty);
          assert.deepEqual(
            got,
            { found: want, hashes: want - start + 1 },
            `${scanner.engine} from ${start}`,
          );
          const before = scanner.scan(...bytes(input), start, nonce - start, difficulty);
          const earlier = reference(input, start, nonce, difficulty);
          assert.equal(before.found, earlier, `${scanner.engine} from ${start}, ${nonce} excluded`);
          if (earlier < 0) assert.equal(before.hashes, nonce - start);
        }
      }
    }
  });

  it("serves the content rule: a long prefix over several blocks and the suffix '}'", () => {
    const message = "a message long enough to push the encoding over a few blocks ".repeat(4);
    const input = {
      prefix: `{"index":7,"timestamp":1700000000000,"data":{"id":"${"ab".repeat(16)}","message":"${message}"},"previous_hash":"${"0".repeat(64)}","proof":`,
      suffix: "}",
    };
    assert.ok(Buffer.byteLength(input.prefix) > 3 * 64);
    for (const difficulty of [1, 2, 3]) {
      const want = reference(input, 0, 20_000, difficulty);
      assert.notEqual(want, -1);
      assert.equal(scanProofs(input, 0, 20_000, difficulty).proof, want);
      for (const scanner of engines) {
        assert.equal(scanner.scan(...bytes(input), 0, 20_000, difficulty).found, want);
      }
    }
  });

  it("tests every digest word a high difficulty needs", () => {
    // No nonce of a short range has 9 or more zeros: all engines must say so.
    const input = { prefix: "1", suffix: "" };
    for (const difficulty of [9, 16, 33, 64]) {
      for (const scanner of engines) {
        assert.deepEqual(scanner.scan(...bytes(input), 0, 5000, difficulty), {
          found: -1,
          hashes: 5000,
        });
      }
    }
  });

  it("refuses bad arguments with a clear error", () => {
    const scanner = engines[0] as NativeScanner;
    const empty = Buffer.alloc(0);
    assert.throws(() => scanner.scan("x" as never, empty, 0, 1, 1), /prefix must be a Uint8Array/);
    assert.throws(() => scanner.scan(empty, empty, -1, 1, 1), /start must be an integer/);
    assert.throws(() => scanner.scan(empty, empty, 0.5, 1, 1), /start must be an integer/);
    assert.throws(() => scanner.scan(empty, empty, 2 ** 53, 1, 1), /count must be an integer/);
    assert.throws(() => scanner.scan(empty, empty, 0, 1, 0), /difficulty must be an integer/);
    assert.throws(() => scanner.scan(empty, empty, 0, 1, 65), /difficulty must be an integer/);
  });
});
