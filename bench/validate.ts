import { performance } from "node:perf_hooks";
import { GENESIS_HASH } from "../src/core/genesis.js";
import { validateChain } from "../src/core/validate.js";
import { checkChainRecords } from "../src/storage/check/chain-check.js";
import { nativeRecordCheck } from "../src/storage/check/native-record-check.js";
import { checkRecordRunJs } from "../src/storage/check/record-check.js";
import { codecFor } from "../src/storage/codecs/chain-format.js";
import { longChainBlocks } from "./lib/million-chain.js";
import { recordResults } from "./lib/results.js";

/*
 * Full validation of a 100,000-block chain at difficulty 1 held in memory
 * (links, hashes, proofs, shapes, ids, exact records), best of five:
 *   validate_blocks_per_s          the records of the JSON Lines chain in one
 *                                  buffer, as the node holds them (BlockRecords),
 *                                  checked by checkChainRecords (native where built)
 *   validate_binary_blocks_per_s   the same in the binary format
 *   validate_blocks_per_s_js       the JSON Lines records on the TypeScript check
 *   validate_objects_blocks_per_s  validateChain over Block objects
 */

const LENGTH = 100_000;
const RUNS = 5;

const chain = Array.from(longChainBlocks(LENGTH));
const recordsOf = (format: "json" | "binary") => {
  const codec = codecFor(format);
  return Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
};
const json = recordsOf("json");
const binary = recordsOf("binary");

/** Blocks per second of `check` (best of RUNS), which must find the chain valid. */
function rate(name: string, check: () => boolean): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < RUNS; run++) {
    const began = performance.now();
    const valid = check();
    best = Math.min(best, performance.now() - began);
    if (!valid) throw new Error(`${name}: the bench chain is invalid`);
  }
  const perSecond = (LENGTH / best) * 1000;
  console.log(
    `${name}: ${LENGTH} blocks in ${best.toFixed(0)} ms (best of ${RUNS}): ${Math.round(perSecond)} blocks/s`,
  );
  return perSecond;
}

const opts = { difficulty: 1 };
const native = nativeRecordCheck();
console.log(`record check: ${native ? `native (${native.engine})` : "TypeScript (no addon)"}`);
const records = rate(
  "records, JSON Lines",
  () => checkChainRecords(codecFor("json"), json, opts).failure === null,
);
const binaryRecords = rate(
  "records, binary",
  () => checkChainRecords(codecFor("binary"), binary, opts).failure === null,
);
const genesisEnd = json.indexOf(0x0a) + 1;
const parent = { index: 0, timestamp: 0, proof: null, hash: Buffer.from(GENESIS_HASH, "hex") };
const zeroId = {
  hasBytes: (b: Buffer, at: number) =>
    b.readBigUInt64LE(at) === 0n && b.readBigUInt64LE(at + 8) === 0n,
};
const js = rate(
  "records, JSON Lines, TypeScript check",
  () =>
    checkRecordRunJs(codecFor("json"), json.subarray(genesisEnd), parent, zeroId, opts).failure ===
    null,
);
const objects = rate("Block objects (validateChain)", () => validateChain(chain, opts).ok);

recordResults({
  validate_blocks_per_s: records,
  validate_binary_blocks_per_s: binaryRecords,
  validate_blocks_per_s_js: js,
  validate_objects_blocks_per_s: objects,
});
