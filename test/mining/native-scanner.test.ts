import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { digestMeetsDifficulty, type ProofSearchInput } from "../../src/core/pow.js";
import { loadNativeScanner, type NativeScanner } from "../../src/mining/native-scanner.js";
import { scanProofs } from "../../src/mining/proof-scanner.js";

const best = loadNativeScanner("1").scanner;
const portable = loadNativeScanner("portable").scanner;
const engines = [best, portable].filter((s): s is NativeScanner => s !== null);
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
    const input = { prefix: "42", suffix: "" };
    for (const start of [0, 995, 9_999_990, 999_999_999_999_990]) {
      for (const scanner of engines) {
        let from = start;
        // Every valid nonce of the range, in order, as node:crypto finds them.
        while (from < start + 300) {
          const want = reference(input, from, start + 300, 1);
          const got = scanner.scan(...bytes(input), from, start + 300 - from, 1);
          assert.equal(got.found, want, `${scanner.engine} from ${from}`);
          if (want < 0) break;
          from = want + 1;
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
