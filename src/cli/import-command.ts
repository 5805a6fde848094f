import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULTS } from "../config/config.js";
import { MAX_DIFFICULTY, ORIGINAL_PROOF_RULE, type ProofRule } from "../core/pow.js";
import { PROOF_RULE_NAMES, proofRuleNamed } from "../core/proof-rules.js";
import { FORMAT_NAMES } from "../storage/codecs/chain-format.js";
import { expandHome } from "../storage/file/home-path.js";
import type { ImportFlags } from "./import-chain.js";
import { intIn, PROOF_RULE_HELP } from "./options.js";

/** The proof rules an import can mine under, by their flag value: every rule. */
const IMPORT_RULES: ReadonlyMap<string, ProofRule> = new Map(
  PROOF_RULE_NAMES.map((name) => [name, proofRuleNamed(name)]),
);

function proofRule(value: string): ProofRule {
  const rule = IMPORT_RULES.get(value);
  if (!rule) {
    throw new InvalidArgumentError(
      `'${value}' is not a proof rule import can mine under; known: ${[...IMPORT_RULES.keys()].join(", ")}.`,
    );
  }
  return rule;
}

/** `blockchain import <original_chain_file> <chain_path>`: the original's chain becomes a new chain of this node. */
export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description(
      "make a new chain from a chain file of the original Python node (its jsonpickle JSON or its pickle): " +
        "the same messages, ids and timestamps (seconds become ms), in the same order, mined anew on this genesis; " +
        "the input is never changed and an existing chain is never written over",
    )
    .argument("<original_chain_file>", "the original's chain file (format read from its content)")
    .argument("<chain_path>", "the new chain file to write (must not exist)")
    .option(
      "--difficulty <n>",
      "trailing zeros each new proof has",
      intIn(1, MAX_DIFFICULTY),
      DEFAULTS.difficulty,
    )
    .addOption(
      new Option(
        "--chain-serialization <format>",
        "the new chain file's format ('pickle' = binary)",
      )
        .choices(FORMAT_NAMES)
        .default(DEFAULTS.chainSerialization),
    )
    .addOption(
      new Option("--proof-rule <rule>", `the new chain's ${PROOF_RULE_HELP}`)
        .argParser(proofRule)
        .default(ORIGINAL_PROOF_RULE, "original"),
    )
    .option(
      "--max-message-bytes <n>",
      "largest message the new chain may hold, in bytes of UTF-8 (as the node that will load it)",
      intIn(1, 1024 * 1024),
      DEFAULTS.maxMessageBytes,
    )
    .option("--json", "print what was imported and written as JSON")
    .action(async (input: string, output: string, flags: ImportFlags) => {
      const { runImport } = await import("./import-chain.js");
      process.exitCode = await runImport(expandHome(input), expandHome(output), flags);
    });
}
