import { createHash } from "node:crypto";
import { type Command, Option } from "commander";
import { DEFAULTS } from "../config/config.js";
import type { Block } from "../core/block.js";
import { hashBlock } from "../core/hash.js";
import { candidateOf, MAX_DIFFICULTY, type ProofRule, trailingZeroDigits } from "../core/pow.js";
import { PROOF_RULE_NAMES, type ProofRuleName, proofRuleNamed } from "../core/proof-rules.js";
import { blockShapeProblem } from "../core/validate.js";
import { checkChainFile, readChainFile } from "../storage/chain-file.js";
import { FORMAT_NAMES, normalizeFormat } from "../storage/chain-format.js";
import { ChainLoadError } from "../storage/chain-load-error.js";
import { hashFilePath, readHashFile } from "../storage/hash-file.js";
import { expandHome } from "../storage/home-path.js";
import { intIn, PROOF_RULE_HELP } from "./options.js";

interface VerifyFlags {
  /** Absent: the command reports the difficulty the chain meets. */
  difficulty?: number;
  proofRule: ProofRuleName;
  json?: boolean;
  chainSerialization?: string;
  maxMessageBytes: number;
}

/** `blockchain verify <chain_path>`: checks a chain file without changing it; exit 0 valid, 1 not. */
export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description(
      "check a chain file: every record sound, the chain valid (the file is not changed)",
    )
    .argument("<chain_path>", "the chain file")
    .option(
      "--difficulty <n>",
      "the difficulty the chain must meet (default: report the difficulty it meets)",
      intIn(1, MAX_DIFFICULTY),
    )
    .addOption(
      new Option("--proof-rule <rule>", PROOF_RULE_HELP)
        .choices(PROOF_RULE_NAMES)
        .default(DEFAULTS.proofRule),
    )
    .addOption(
      new Option(
        "--chain-serialization <format>",
        "the file's format (default: detected from its first bytes)",
      ).choices(FORMAT_NAMES),
    )
    .option(
      "--max-message-bytes <n>",
      "largest message, in bytes of UTF-8",
      intIn(1, 1024 * 1024),
      DEFAULTS.maxMessageBytes,
    )
    .option("--json", "print the verdict as JSON")
    .action(async (path: string, flags: VerifyFlags) => {
      process.exitCode = await verifyChainFile(expandHome(path), flags);
    });
}

/** A verdict, printed as a line of text or, with --json, as one JSON object. */
type Verdict =
  | { valid: true; blocks: number; tip: string; difficulty: number; difficulty_given: boolean }
  | { valid: false; index: number; reason: string };

function printVerdict(verdict: Verdict, json: boolean | undefined): void {
  if (json) return void process.stdout.write(`${JSON.stringify(verdict)}\n`);
  if (!verdict.valid) {
    return void process.stdout.write(`invalid: block ${verdict.index}: ${verdict.reason}\n`);
  }
  const met = verdict.difficulty_given ? "" : `; it meets difficulty ${verdict.difficulty}`;
  process.stdout.write(`valid: ${verdict.blocks} blocks, tip ${verdict.tip}${met}\n`);
}

/**
 * The most difficulty every block's proof meets under `rule` (the fewest
 * trailing zeros of any proof's candidate hash), at least 1 so that validation
 * then names a block whose proof has none; records too malformed to hash are
 * left to validation. A chain of genesis alone meets any: 1 is reported.
 */
function difficultyMet(records: readonly unknown[], rule: ProofRule): number {
  let met = MAX_DIFFICULTY;
  for (let i = 1; i < records.length; i++) {
    const block = records[i] as Block;
    const parent = records[i - 1] as Block;
    // Any message size: the limit is validation's to apply, not this estimate's.
    if (blockShapeProblem(block, Number.MAX_SAFE_INTEGER) !== null) continue;
    if (i > 1 && blockShapeProblem(parent, Number.MAX_SAFE_INTEGER) !== null) continue;
    const candidate = candidateOf(rule.searchInput(block, parent), block.proof as number);
    met = Math.min(met, trailingZeroDigits(createHash("sha256").update(candidate).digest()));
  }
  return records.length > 1 ? Math.max(1, met) : 1;
}

/**
 * Prints `valid: N blocks, tip <hash>` (exit code 0) or `invalid: block N:
 * reason` (1), or the same as JSON; without --difficulty the chain is checked
 * at the difficulty it meets, which is reported. A file that cannot be read at
 * all throws, naming the file. What a node would repair on load (a torn last
 * record, a stale .hash) is a warning on stderr.
 */
async function verifyChainFile(path: string, flags: VerifyFlags): Promise<number> {
  const format = flags.chainSerialization ? normalizeFormat(flags.chainSerialization) : undefined;
  try {
    const file = await readChainFile(path, format);
    if (file.torn) {
      warn(
        `${path}: torn last record at byte offset ${file.torn.offset} (${file.torn.reason}); a node cuts it off on load`,
      );
    }
    if (file.completion) warn(`${path}: the last line lacks its newline; a node adds it on load`);
    const rule = proofRuleNamed(flags.proofRule);
    const difficulty = flags.difficulty ?? difficultyMet(file.records, rule);
    const blocks = checkChainFile(file, {
      difficulty,
      rule,
      maxMessageBytes: flags.maxMessageBytes,
    });
    const tip = blocks[blocks.length - 1];
    if (!tip) {
      printVerdict({ valid: false, index: 0, reason: `${path} holds no whole block` }, flags.json);
      return 1;
    }
    const stored = await readHashFile(hashFilePath(path));
    const digest = createHash("sha256").update(file.bytes).digest("hex");
    if (stored !== null && stored !== digest) {
      warn(`${hashFilePath(path)} does not match the chain file (its sha256 is ${digest})`);
    }
    printVerdict(
      {
        valid: true,
        blocks: blocks.length,
        tip: hashBlock(tip),
        difficulty,
        difficulty_given: flags.difficulty !== undefined,
      },
      flags.json,
    );
    return 0;
  } catch (err) {
    // Damage with a place (a bad record, an invalid block) is a verdict; anything else is an error.
    if (!(err instanceof ChainLoadError) || err.index === undefined) throw err;
    printVerdict({ valid: false, index: err.index, reason: err.reason }, flags.json);
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
}

function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
