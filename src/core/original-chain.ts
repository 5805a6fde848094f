import { createHash } from "node:crypto";
import { DATA_ID_PATTERN } from "./data.js";
import { digestMeetsDifficulty, MAX_DIFFICULTY } from "./pow.js";

/**
 * A block of the original Python node, as its chain files hold it: the
 * timestamp in seconds (a Python float), `null` for Python's None.
 */
export interface OriginalBlock {
  index: number;
  timestamp: number;
  data: { id: string; message: string };
  proof: number | null;
  previousHash: string | null;
}

/** What a check of an original chain found. */
export type OriginalChainCheck =
  | {
      ok: true;
      /** The lowest count of trailing zeros among the proofs: the difficulty it was mined at. */
      difficulty: number;
    }
  | { ok: false; index: number; reason: string };

// The original's Block.__repr__ wraps its labels in ANSI bold; its hash covers those bytes too.
const BOLD = "\u001b[1m";
const END = "\u001b[0m";

/** Python's str() of None, an int or a float (a float always shows a fraction or an exponent). */
function pythonStr(value: number | string | null, isFloat = false): string {
  if (value === null) return "None";
  if (typeof value === "string") return value;
  if (isFloat && Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return String(value);
}

/**
 * The original's block hash: SHA-256 of the UTF-8 bytes of `str(block)`,
 * the multi-line, colourised text its Block.__repr__ draws.
 */
export function originalBlockHash(block: OriginalBlock): string {
  const data =
    `| \t\t${"_".repeat(66)}\n` +
    `| ${BOLD}data${END}:\t\t| id: \t${block.data.id}\n` +
    `| \t\t| message: ${block.data.message}\n` +
    `| \t\t${"_".repeat(65)}`;
  const text =
    `\n| ${"=".repeat(80)}\n` +
    `| ${BOLD}index${END}: \t ${pythonStr(block.index)} \n` +
    `| ${BOLD}time${END}: \t ${pythonStr(block.timestamp, true)} \n` +
    `| ${BOLD}proof${END}: \t ${pythonStr(block.proof)} \n` +
    `| ${BOLD}prev. hash${END}: \t ${pythonStr(block.previousHash)} \n` +
    `${data}\n` +
    `| ${"=".repeat(80)}\n`;
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * How many trailing hex zeros the original's proof of work shows: it hashes
 * `f"{last_proof}{proof}"`, where Python writes the genesis proof None as "None".
 */
export function originalProofZeros(lastProof: number | null, proof: number): number {
  const digest = createHash("sha256")
    .update(`${pythonStr(lastProof)}${proof}`)
    .digest();
  let zeros = 0;
  while (zeros < MAX_DIFFICULTY && digestMeetsDifficulty(digest, zeros + 1)) zeros++;
  return zeros;
}

/**
 * Checks an original chain by the original's own rules: genesis with index 0
 * and None proof and previous hash; then each block's index one more, its
 * previous hash the original's hash of its predecessor, its proof valid
 * (at least one trailing zero, and all at one difficulty: the lowest found),
 * its timestamp later; plus what this node needs: well-formed, unique ids and
 * non-empty messages.
 */
export function checkOriginalChain(blocks: readonly OriginalBlock[]): OriginalChainCheck {
  const genesis = blocks[0];
  if (!genesis) return { ok: false, index: 0, reason: "the chain holds no block" };
  if (genesis.index !== 0 || genesis.proof !== null || genesis.previousHash !== null) {
    return {
      ok: false,
      index: 0,
      reason: "the first block is not a genesis block (index 0, proof None, previous hash None)",
    };
  }
  let difficulty = MAX_DIFFICULTY;
  const ids = new Set<string>();
  for (let i = 1; i < blocks.length; i++) {
    const block = blocks[i] as OriginalBlock;
    const parent = blocks[i - 1] as OriginalBlock;
    const problem = linkProblem(parent, block, i, ids);
    if (problem) return { ok: false, index: i, reason: problem };
    difficulty = Math.min(difficulty, originalProofZeros(parent.proof, block.proof as number));
    ids.add(block.data.id);
  }
  return { ok: true, difficulty: blocks.length > 1 ? difficulty : 0 };
}

function linkProblem(
  parent: OriginalBlock,
  block: OriginalBlock,
  position: number,
  ids: ReadonlySet<string>,
): string | null {
  if (block.index !== position) return `index is ${block.index}, expected ${position}`;
  if (block.previousHash !== originalBlockHash(parent)) {
    return "previous hash is not the original's hash of the preceding block";
  }
  if (block.proof === null || !Number.isSafeInteger(block.proof) || block.proof < 0) {
    return "proof must be a non-negative integer";
  }
  if (originalProofZeros(parent.proof, block.proof) === 0) {
    return `proof ${block.proof} is not a valid proof of work after ${pythonStr(parent.proof)}`;
  }
  if (!(block.timestamp > parent.timestamp)) {
    return "timestamp is not later than the preceding block's";
  }
  if (!DATA_ID_PATTERN.test(block.data.id)) return "data id must be 32 lowercase hex characters";
  if (ids.has(block.data.id)) return `data id ${block.data.id} already appears in an earlier block`;
  if (block.data.message.length === 0) return "the message is empty";
  return null;
}
