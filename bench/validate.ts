import { performance } from "node:perf_hooks";
import { validateChain } from "../src/core/validate.js";
import { longChainBlocks } from "./lib/million-chain.js";
import { recordResults } from "./lib/results.js";

/*
 * Full validation of a chain held in memory: 100,000 blocks at difficulty 1
 * (links, hashes, proofs, shapes), best of three. Key: validate_blocks_per_s.
 */

const LENGTH = 100_000;
const RUNS = 3;

const chain = Array.from(longChainBlocks(LENGTH));
let best = Number.POSITIVE_INFINITY;
for (let run = 0; run < RUNS; run++) {
  const began = performance.now();
  const result = validateChain(chain, { difficulty: 1 });
  best = Math.min(best, performance.now() - began);
  if (!result.ok) throw new Error(`the bench chain is invalid: ${JSON.stringify(result)}`);
}
const rate = (LENGTH / best) * 1000;
console.log(
  `validated ${LENGTH} blocks in ${best.toFixed(0)} ms (best of ${RUNS}): ${Math.round(rate)} blocks/s`,
);
recordResults({ validate_blocks_per_s: rate });
