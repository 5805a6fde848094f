import type { Block, Proof } from "./block.js";
import { sha256Bytes } from "./hash.js";

/** The most trailing zeros a SHA-256 hex digest can have. */
export const MAX_DIFFICULTY = 64;

/**
 * What a proof search hashes: the candidate for proof `n` is the bytes
 * UTF-8(prefix) + decimal(n) + UTF-8(suffix), and `n` is valid when the
 * SHA-256 hex digest of the candidate ends in `difficulty` "0" characters.
 */
export interface ProofSearchInput {
  prefix: string;
  suffix: string;
}

/** A block whose proof is still to be found. */
export type UnprovenBlock = Omit<Block, "proof">;

/**
 * A proof-of-work rule: what a block's proof search hashes, and so how a
 * proof is checked (the candidate's digest meets the difficulty). The search
 * (mining/) only ever sees the rule's ProofSearchInput, so a second rule
 * touches this file and the miner's choice of rule, nothing else.
 */
export interface ProofRule {
  readonly name: string;
  /** True when only the smallest valid proof is accepted as the search's answer (the original's rule). */
  readonly smallestProof: boolean;
  /** What the search for `block`'s proof hashes; `parent` is the block it follows. */
  searchInput(block: UnprovenBlock, parent: Block): ProofSearchInput;
  /** Whether `block`'s proof is valid after `parent` at `difficulty`. */
  isValid(block: Block, parent: Block, difficulty: number): boolean;
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

/** The bytes a search input hashes for one proof. */
export function candidateOf(input: ProofSearchInput, proof: number): string {
  return `${input.prefix}${proof}${input.suffix}`;
}

/** Whether `proof` meets `difficulty` for a search input. */
export function isProofValidFor(
  input: ProofSearchInput,
  proof: unknown,
  difficulty: number,
): boolean {
  checkDifficulty(difficulty);
  if (typeof proof !== "number" || !Number.isSafeInteger(proof) || proof < 0) return false;
  return digestMeetsDifficulty(sha256Bytes(candidateOf(input, proof)), difficulty);
}

/** The original rule's search input: prefix `${lastProof}` ("null" after genesis), no suffix. */
export function originalSearchInput(lastProof: Proof): ProofSearchInput {
  return { prefix: lastProof === null ? "null" : String(lastProof), suffix: "" };
}

/** How many zeros a raw SHA-256 digest, written in hex, ends in (the most difficulty it meets). */
export function trailingZeroDigits(digest: Uint8Array): number {
  let zeros = 0;
  for (let i = digest.length - 1; i >= 0; i--) {
    const byte = digest[i] as number;
    if (byte === 0) {
      zeros += 2;
      continue;
    }
    return zeros + ((byte & 0x0f) === 0 ? 1 : 0);
  }
  return zeros;
}

/** The original's rule: sha256(`${lastProof}${proof}`) ends in `difficulty` zeros. */
export function isProofOfWorkValid(lastProof: Proof, proof: number, difficulty: number): boolean {
  return isProofValidFor(originalSearchInput(lastProof), proof, difficulty);
}

/** The original's rule, which needs the smallest valid proof after the parent's proof. */
export const ORIGINAL_PROOF_RULE: ProofRule = {
  name: "original",
  smallestProof: true,
  searchInput: (_block, parent) => originalSearchInput(parent.proof),
  isValid: (block, parent, difficulty) =>
    isProofValidFor(originalSearchInput(parent.proof), block.proof, difficulty),
};

/** Outcome of searching one range of proofs. */
export interface RangeSearchResult {
  /** The smallest valid proof in the range, or null. */
  proof: number | null;
  /** How many candidates were hashed. */
  hashes: number;
}

/** Searches proofs in [start, end) in order and returns the first valid one (node:crypto, one thread). */
export function searchProofRange(
  input: ProofSearchInput,
  start: number,
  end: number,
  difficulty: number,
): RangeSearchResult {
  checkDifficulty(difficulty);
  for (let proof = start; proof < end; proof++) {
    const digest = sha256Bytes(candidateOf(input, proof));
    if (digestMeetsDifficulty(digest, difficulty)) return { proof, hashes: proof - start + 1 };
  }
  return { proof: null, hashes: end - start };
}

/** The smallest non-negative proof valid after `lastProof` (synchronous, one thread). */
export function proofOfWork(lastProof: Proof, difficulty: number): number {
  checkDifficulty(difficulty);
  const input = originalSearchInput(lastProof);
  const chunk = 1 << 20;
  for (let start = 0; start < Number.MAX_SAFE_INTEGER; start += chunk) {
    const { proof } = searchProofRange(input, start, start + chunk, difficulty);
    if (proof !== null) return proof;
  }
  throw new RangeError("no proof found below Number.MAX_SAFE_INTEGER");
}
