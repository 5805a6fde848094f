import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  type OriginalBlock,
  originalBlockHash,
  originalProofZeros,
} from "../../src/core/original-chain.js";

/** The chain files written by the original Python node itself (see their README). */
export const ORIGINAL_FIXTURES = fileURLToPath(
  new URL("../../../test/fixtures/original/", import.meta.url),
);
export const ORIGINAL_JSON = `${ORIGINAL_FIXTURES}chain-jsonpickle.json`;
export const ORIGINAL_PICKLE = `${ORIGINAL_FIXTURES}chain-pickle.bin`;
/** The messages both fixtures hold, in order. */
export const FIXTURE_MESSAGES = [
  "first of four",
  "zweite Nachricht ✓",
  "third: quotes \" and 'single'",
  "fourth, the last",
];

/**
 * An original chain mined as the original did: the smallest proof whose
 * `f"{last_proof}{proof}"` hash ends in `difficulty` zeros, each block linked
 * by the original's hash of its predecessor. Timestamps are in seconds.
 */
export function buildOriginalChain(
  messages: readonly string[],
  opts: { difficulty: number; timestamps?: readonly number[] },
): OriginalBlock[] {
  const chain: OriginalBlock[] = [
    {
      index: 0,
      timestamp: 1_700_000_000.25,
      data: {
        id: idOf("genesis"),
        message: "This is the workload of the very first Block in this chain!",
      },
      proof: null,
      previousHash: null,
    },
  ];
  for (const [i, message] of messages.entries()) {
    const parent = chain[chain.length - 1] as OriginalBlock;
    let proof = 0;
    while (originalProofZeros(parent.proof, proof) < opts.difficulty) proof++;
    chain.push({
      index: i + 1,
      timestamp: opts.timestamps?.[i] ?? parent.timestamp + 1.5,
      data: { id: idOf(`${i}:${message}`), message },
      proof,
      previousHash: originalBlockHash(parent),
    });
  }
  return chain;
}

/** The chain as the original's jsonpickle wrote it. */
export function toJsonPickle(chain: readonly OriginalBlock[]): string {
  return JSON.stringify(
    chain.map((b) => ({
      "py/object": "blockchain.blockchain.block.Block",
      _index: b.index,
      _timestamp: b.timestamp,
      _data: {
        "py/object": "blockchain.blockchain.data.Data",
        _id: b.data.id,
        _message: b.data.message,
      },
      _proof: b.proof,
      _previous_hash: b.previousHash,
    })),
  );
}

function idOf(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 32);
}
