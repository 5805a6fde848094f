import { type Command, Option } from "commander";
import { DEFAULTS } from "../config/config.js";
import { MAX_DIFFICULTY } from "../core/pow.js";
import { PROOF_RULE_NAMES } from "../core/proof-rules.js";
import { FORMAT_NAMES } from "../storage/codecs/chain-format.js";
import { expandHome } from "../storage/file/home-path.js";
import { intIn, PROOF_RULE_HELP } from "./options.js";
import type { VerifyFlags } from "./verify-chain.js";

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
      const { verifyChainFile } = await import("./verify-chain.js");
      process.exitCode = await verifyChainFile(expandHome(path), flags);
    });
}
