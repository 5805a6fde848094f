import { createHash } from "node:crypto";
import { type Command, Option } from "commander";
import { DEFAULTS } from "../config/config.js";
import { hashBlock } from "../core/hash.js";
import { MAX_DIFFICULTY } from "../core/pow.js";
import { PROOF_RULE_NAMES, type ProofRuleName, proofRuleNamed } from "../core/proof-rules.js";
import { checkChainFile, readChainFile } from "../storage/chain-file.js";
import { FORMAT_NAMES, normalizeFormat } from "../storage/chain-format.js";
import { ChainLoadError } from "../storage/chain-load-error.js";
import { hashFilePath, readHashFile } from "../storage/hash-file.js";
import { expandHome } from "../storage/home-path.js";
import { intIn, PROOF_RULE_HELP } from "./options.js";

interface VerifyFlags {
  difficulty: number;
  proofRule: ProofRuleName;
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
      "the difficulty the chain must meet",
      intIn(1, MAX_DIFFICULTY),
      DEFAULTS.difficulty,
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
    .action(async (path: string, flags: VerifyFlags) => {
      process.exitCode = await verifyChainFile(expandHome(path), flags);
    });
}

/**
 * Prints `valid: N blocks, tip <hash>` (exit code 0) or `invalid: block N:
 * reason` (1); a file that cannot be read at all throws, naming the file.
 * What a node would repair on load (a torn last record, a stale .hash) is a
 * warning on stderr.
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
    const blocks = checkChainFile(file, {
      difficulty: flags.difficulty,
      rule: proofRuleNamed(flags.proofRule),
      maxMessageBytes: flags.maxMessageBytes,
    });
    const tip = blocks[blocks.length - 1];
    if (!tip) {
      process.stdout.write(`invalid: block 0: ${path} holds no whole block\n`);
      return 1;
    }
    const stored = await readHashFile(hashFilePath(path));
    const digest = createHash("sha256").update(file.bytes).digest("hex");
    if (stored !== null && stored !== digest) {
      warn(`${hashFilePath(path)} does not match the chain file (its sha256 is ${digest})`);
    }
    process.stdout.write(`valid: ${blocks.length} blocks, tip ${hashBlock(tip)}\n`);
    return 0;
  } catch (err) {
    // Damage with a place (a bad record, an invalid block) is a verdict; anything else is an error.
    if (!(err instanceof ChainLoadError) || err.index === undefined) throw err;
    process.stdout.write(`invalid: block ${err.index}: ${err.reason}\n`);
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
}

function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
