import { type Block, type Chain, HASH_PATTERN } from "./block.js";
import { DEFAULT_MAX_MESSAGE_BYTES, dataProblem } from "./data.js";
import { encodeBlock } from "./encoding.js";
import { GENESIS_BLOCK } from "./genesis.js";
import { hashBlock } from "./hash.js";
import { checkDifficulty, ORIGINAL_PROOF_RULE, type ProofRule } from "./pow.js";

/** How far ahead of the validator's clock a block's timestamp may be. */
export const MAX_FUTURE_DRIFT_MS = 2 * 60 * 60 * 1000;

/**
 * `future`: the only fault is a timestamp past this node's clock + 2 h; the
 * sender's clock may differ from ours, so that is no proof of misbehaviour.
 */
export type ValidationResult =
  | { ok: true }
  | { ok: false; index: number; reason: string; future?: boolean };

/** linkProblem's reason when the only fault is a timestamp too far ahead (see `future`). */
export const FUTURE_REASON = "timestamp is more than 2 hours in the future";

/** A valid run of blocks with the hash of each, computed once by the validation. */
export type ExtensionResult =
  | { ok: true; hashes: string[] }
  | { ok: false; index: number; reason: string; future?: boolean };

export interface ValidationOptions {
  difficulty: number;
  /** The validator's clock, in ms since the epoch (defaults to Date.now()). */
  now?: number;
  maxMessageBytes?: number;
  rule?: ProofRule;
}

const BLOCK_KEYS = ["index", "timestamp", "data", "previous_hash", "proof"];

/** Why `value` does not have the shape of a non-genesis block, or null when it has. */
export function blockShapeProblem(
  value: unknown,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "block must be an object";
  }
  const keys = Object.keys(value);
  const extra = keys.filter((k) => !BLOCK_KEYS.includes(k));
  if (extra.length > 0) return `block has unknown field(s): ${extra.join(", ")}`;
  const missing = BLOCK_KEYS.filter((k) => !keys.includes(k));
  if (missing.length > 0) return `block lacks field(s): ${missing.join(", ")}`;
  const b = value as Record<string, unknown>;
  if (!Number.isSafeInteger(b.index) || (b.index as number) < 1) {
    return "index must be a positive safe integer";
  }
  if (!Number.isSafeInteger(b.timestamp) || (b.timestamp as number) < 0) {
    return "timestamp must be a non-negative integer (ms since the epoch)";
  }
  if (typeof b.previous_hash !== "string" || !HASH_PATTERN.test(b.previous_hash)) {
    return "previous_hash must be 64 lowercase hex characters";
  }
  if (!Number.isSafeInteger(b.proof) || (b.proof as number) < 0) {
    return "proof must be a non-negative safe integer";
  }
  return dataProblem(b.data, maxMessageBytes);
}

/**
 * Why `block` cannot follow `parent`, or null when it can. Checks shape, link,
 * proof and timestamps; not the uniqueness of the data id (that needs the chain).
 * `parentHash`, when the caller has it, spares hashing the parent again.
 */
export function linkProblem(
  parent: Block,
  block: unknown,
  opts: ValidationOptions,
  parentHash: string = hashBlock(parent),
): string | null {
  const shape = blockShapeProblem(block, opts.maxMessageBytes);
  if (shape) return shape;
  const b = block as Block;
  if (b.index !== parent.index + 1) {
    return `index is ${b.index}, expected ${parent.index + 1}`;
  }
  if (b.previous_hash !== parentHash) {
    return "previous_hash is not the hash of the preceding block";
  }
  const rule = opts.rule ?? ORIGINAL_PROOF_RULE;
  if (!rule.isValid(b, parent, opts.difficulty)) {
    return `proof ${b.proof} is not a valid proof of work at difficulty ${opts.difficulty}`;
  }
  if (b.timestamp <= parent.timestamp) {
    return "timestamp is not later than the preceding block's";
  }
  const now = opts.now ?? Date.now();
  if (b.timestamp > now + MAX_FUTURE_DRIFT_MS) {
    return FUTURE_REASON;
  }
  return null;
}

/** Whether `value` equals the genesis block field for field (and has no other fields). */
export function isGenesis(value: unknown): boolean {
  try {
    return (
      typeof value === "object" &&
      value !== null &&
      Object.keys(value).length === BLOCK_KEYS.length &&
      typeof (value as Block).data === "object" &&
      (value as Block).data !== null &&
      Object.keys((value as Block).data).length === 2 &&
      encodeBlock(value as Block) === encodeBlock(GENESIS_BLOCK)
    );
  } catch {
    return false;
  }
}

/**
 * Validates a run of blocks that extends `base` (the chain up to the run's
 * parent): each block against its predecessor and its data id against every
 * earlier id. `seenIds` holds the ids of `base` and is not modified. Every
 * block is hashed once (its hash is the next block's link), and the hashes are
 * given back so that the caller need not hash them again.
 */
export function validateExtension(
  parent: Block,
  blocks: readonly unknown[],
  seenIds: { has(id: string): boolean },
  opts: ValidationOptions,
  parentHash: string = hashBlock(parent),
): ExtensionResult {
  const newIds = new Set<string>();
  const hashes: string[] = [];
  let prev = parent;
  let prevHash = parentHash;
  for (const [i, block] of blocks.entries()) {
    const problem = linkProblem(prev, block, opts, prevHash);
    const index = parent.index + 1 + i;
    if (problem === FUTURE_REASON) return { ok: false, index, reason: problem, future: true };
    if (problem) return { ok: false, index, reason: problem };
    const b = block as Block;
    if (seenIds.has(b.data.id) || newIds.has(b.data.id)) {
      return {
        ok: false,
        index,
        reason: `data id ${b.data.id} already appears in an earlier block`,
      };
    }
    newIds.add(b.data.id);
    prev = b;
    prevHash = hashBlock(b);
    hashes.push(prevHash);
  }
  return { ok: true, hashes };
}

/** Validates a whole chain; on failure gives the first failing block's index and why. */
export function validateChain(
  chain: readonly unknown[],
  opts: ValidationOptions,
): ValidationResult {
  checkDifficulty(opts.difficulty);
  if (!Array.isArray(chain) || chain.length === 0) {
    return { ok: false, index: 0, reason: "chain is empty" };
  }
  if (!isGenesis(chain[0])) {
    return { ok: false, index: 0, reason: "block 0 is not the genesis block" };
  }
  const genesis = chain[0] as Block;
  const result = validateExtension(genesis, chain.slice(1), new Set([genesis.data.id]), opts);
  return result.ok ? { ok: true } : result;
}

/** Throws unless `chain` is valid; for callers that treat invalidity as an error. */
export function assertChainValid(chain: Chain, opts: ValidationOptions): void {
  const result = validateChain(chain, opts);
  if (!result.ok) throw new InvalidChainError(result.index, result.reason);
}

/** A chain or block that breaks a validity rule, with the failing index. */
export class InvalidChainError extends Error {
  readonly code = "INVALID_CHAIN";
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(`block ${index}: ${reason}`);
    this.name = "InvalidChainError";
  }
}
