import type { Block } from "./block.js";
import { encodeBlock } from "./encoding.js";
import {
  isProofValidFor,
  ORIGINAL_PROOF_RULE,
  type ProofRule,
  type ProofSearchInput,
  type UnprovenBlock,
} from "./pow.js";
import { type ValidationOptions, type ValidationResult, validateChain } from "./validate.js";

/** The proof rules a node can follow (SPEC section 2); the first is the default. */
export const PROOF_RULE_NAMES = ["original", "content"] as const;
export type ProofRuleName = (typeof PROOF_RULE_NAMES)[number];

/** What the canonical encoding ends with after the proof: the closing brace of the block. */
const CONTENT_SUFFIX = "}";
/** The tail of an encoding whose proof is null: what is cut to get the search's prefix. */
const NULL_PROOF_TAIL = `null${CONTENT_SUFFIX}`;

/**
 * The content rule's search input: the block's canonical encoding up to and
 * including `"proof":`, and the closing `}`. Since `proof` is the encoding's
 * last key, prefix + decimal(proof) + suffix is exactly the encoding of the
 * block with that proof, so its digest is the block's hash.
 */
export function contentSearchInput(block: UnprovenBlock): ProofSearchInput {
  const encoded = encodeBlock({ ...block, proof: null } as Block);
  return { prefix: encoded.slice(0, -NULL_PROOF_TAIL.length), suffix: CONTENT_SUFFIX };
}

/**
 * The content-bound rule: a block's own hash ends in `difficulty` zeros, so
 * its proof is a nonce that binds every field of the block (and through
 * previous_hash every earlier block). Any valid nonce will do.
 */
export const CONTENT_PROOF_RULE: ProofRule = {
  name: "content",
  smallestProof: false,
  searchInput: (block) => contentSearchInput(block),
  isValid: (block, _parent, difficulty) =>
    isProofValidFor(contentSearchInput(block), block.proof, difficulty),
};

const RULES: Record<ProofRuleName, ProofRule> = {
  original: ORIGINAL_PROOF_RULE,
  content: CONTENT_PROOF_RULE,
};

/** Whether `name` names a proof rule. */
export function isProofRuleName(name: unknown): name is ProofRuleName {
  return typeof name === "string" && (PROOF_RULE_NAMES as readonly string[]).includes(name);
}

/** The rule of that name; a RangeError for an unknown name. */
export function proofRuleNamed(name: string): ProofRule {
  if (!isProofRuleName(name)) {
    throw new RangeError(
      `proof rule must be one of ${PROOF_RULE_NAMES.join(", ")}, got ${JSON.stringify(name)}`,
    );
  }
  return RULES[name];
}

/**
 * For a chain that fails validation under `rule`: the other rules under
 * which it is valid, so that an error can say which rule a file seems to
 * follow. Empty when it is invalid under every rule.
 */
export function otherRulesValidating(
  chain: readonly unknown[],
  rule: ProofRule,
  opts: Omit<ValidationOptions, "rule">,
): ProofRuleName[] {
  return PROOF_RULE_NAMES.filter(
    (name) => name !== rule.name && validateChain(chain, { ...opts, rule: RULES[name] }).ok,
  );
}

/** Validates a chain under the rule named; a shorthand for tools (verify, import). */
export function validateChainUnder(
  chain: readonly unknown[],
  name: ProofRuleName,
  opts: Omit<ValidationOptions, "rule">,
): ValidationResult {
  return validateChain(chain, { ...opts, rule: RULES[name] });
}
