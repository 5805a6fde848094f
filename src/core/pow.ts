import { createHash } from "node:crypto";
import type { Proof } from "./block.js";

/** The most trailing zeros a SHA-256 hex digest can have. */
export const MAX_DIFFICULTY = 64;

/**
 * A proof-of-work rule: how a proof is checked and what a search hashes.
 * The original's rule is the only one today; a content-bound rule would be a
 * second implementation of this interface (SPEC section 2).
 */
export interface ProofRule {
  readonly name: string;
  isValid(lastProof: Proof, proof: number, difficulty: number): boolean;
}

/** Throws a RangeError unless difficulty is a positive integer the digest can meet. */
export function checkDifficulty(difficulty: unknown): asserts difficulty is number {
  if (
    typeof difficulty !== "number" ||
    !Number.isInteger(difficulty) ||
    difficulty < 1 ||
    difficulty > MAX_DIFFICULTY
  ) {
    throw new RangeError(
      `difficulty must be an integer from 1 to ${MAX_DIFFICULTY}, got ${String(difficulty)}`,
    );
  }
}

/** Whether a raw SHA-256 digest, written in hex, ends in `difficulty` zeros. */
export function digestMeetsDifficulty(digest: Uint8Array, difficulty: number): boolean {
  const fullBytes = difficulty >> 1;
  const last = digest.length - 1;
  for (let i = 0; i < fullBytes; i++) {
    if (digest[last - i] !== 0) return false;
  }
  // An odd difficulty also needs the low nibble (the last hex digit) of the next byte.
  if (difficulty & 1) return ((digest[last - fullBytes] ?? 1) & 0x0f) === 0;
  return true;
}

/** The text that the original rule hashes: `${lastProof}${proof}` (null written "null"). */
export function powInput(lastProof: Proof, proof: number): string {
  return `${lastProof === null ? "null" : lastProof}${proof}`;
}

/** The original's rule: sha256(`${lastProof}${proof}`) ends in `difficulty` zeros. */
export function isProofOfWorkValid(lastProof: Proof, proof: number, difficulty: number): boolean {
  checkDifficulty(difficulty);
  if (!Number.isSafeInteger(proof) || proof < 0) return false;
  const digest = createHash("sha256").update(powInput(lastProof, proof)).digest();
  return digestMeetsDifficulty(digest, difficulty);
}

export const ORIGINAL_PROOF_RULE: ProofRule = {
  name: "original",
  isValid: isProofOfWorkValid,
};

/** Outcome of searching one range of proofs. */
export interface RangeSearchResult {
  /** The smallest valid proof in the range, or null. */
  proof: number | null;
  /** How many candidates were hashed. */
  hashes: number;
}

/** Searches proofs in [start, end) in order and returns the first valid one. */
export function searchProofRange(
  lastProof: Proof,
  start: number,
  end: number,
  difficulty: number,
): RangeSearchResult {
  checkDifficulty(difficulty);
  const prefix = lastProof === null ? "null" : String(lastProof);
  for (let proof = start; proof < end; proof++) {
    const digest = createHash("sha256")
      .update(prefix + proof)
      .digest();
    if (digestMeetsDifficulty(digest, difficulty)) return { proof, hashes: proof - start + 1 };
  }
  return { proof: null, hashes: end - start };
}

/** The smallest non-negative proof valid after `lastProof` (synchronous, one thread). */
export function proofOfWork(lastProof: Proof, difficulty: number): number {
  checkDifficulty(difficulty);
  const chunk = 1 << 20;
  for (let start = 0; start < Number.MAX_SAFE_INTEGER; start += chunk) {
    const { proof } = searchProofRange(lastProof, start, start + chunk, difficulty);
    if (proof !== null) return proof;
  }
  throw new RangeError("no proof found below Number.MAX_SAFE_INTEGER");
}
