import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULTS } from "../config/config.js";
import type { Block } from "../core/block.js";
import { hashBlock } from "../core/hash.js";
import { checkOriginalChain, type OriginalBlock } from "../core/original-chain.js";
import { MAX_DIFFICULTY, ORIGINAL_PROOF_RULE, type ProofRule } from "../core/pow.js";
import { PROOF_RULE_NAMES, proofRuleNamed } from "../core/proof-rules.js";
import { ImportError, importOriginalChain } from "../mining/import-original.js";
import { FORMAT_NAMES, normalizeFormat } from "../storage/chain-format.js";
import { ChainLock, ChainLockedError } from "../storage/chain-lock.js";
import { expandHome } from "../storage/home-path.js";
import { assertNoChainAt, ChainExistsError, writeNewChainFile } from "../storage/new-chain-file.js";
import { OriginalChainError, readOriginalChainFile } from "../storage/original-chain-file.js";
import { intIn, PROOF_RULE_HELP } from "./options.js";
import { progressLine } from "./progress-line.js";

interface ImportFlags {
  difficulty: number;
  chainSerialization: string;
  proofRule: ProofRule;
  maxMessageBytes: number;
  json?: boolean;
}

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
      process.exitCode = await runImport(expandHome(input), expandHome(output), flags);
    });
}

async function runImport(input: string, output: string, flags: ImportFlags): Promise<number> {
  const format = normalizeFormat(flags.chainSerialization);
  try {
    await assertNoChainAt(output);
    const original = await readOriginalChainFile(input);
    const check = checkOriginalChain(original.blocks);
    if (!check.ok) throw new OriginalChainError(input, check.reason, check.index);
    // The new file is a chain file like any other: owned by this import while it is made.
    const lock = await ChainLock.acquire(output);
    let chain: Block[] | null;
    let written: { bytes: number };
    try {
      chain = await mine(original.blocks, flags);
      if (chain === null) {
        process.stderr.write("blockchain: import interrupted; nothing was written\n");
        return 1;
      }
      written = await writeNewChainFile(output, format, chain);
    } finally {
      await lock.release();
    }
    const tip = hashBlock(chain[chain.length - 1] as Block);
    if (flags.json) {
      const summary = {
        messages: chain.length - 1,
        from: {
          path: input,
          format: original.format,
          blocks: original.blocks.length,
          difficulty: check.difficulty,
        },
        to: {
          path: output,
          format,
          blocks: chain.length,
          bytes: written.bytes,
          difficulty: flags.difficulty,
          proof_rule: flags.proofRule.name,
          tip,
        },
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return 0;
    }
    process.stdout.write(
      `imported ${chain.length - 1} messages: ${input} (original ${original.format}, ` +
        `${original.blocks.length} blocks, mined at difficulty ${check.difficulty}) -> ` +
        `${output} (${format}, ${chain.length} blocks, ${written.bytes} bytes, ` +
        `difficulty ${flags.difficulty}, proof rule ${flags.proofRule.name}, tip ${tip})\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ImportError) {
      process.stderr.write(`blockchain: not imported: ${input}: ${err.message}\n`);
      return 1;
    }
    if (
      err instanceof OriginalChainError ||
      err instanceof ChainExistsError ||
      err instanceof ChainLockedError
    ) {
      process.stderr.write(`blockchain: not imported: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Mines the new chain on the worker pool, with a progress line at most once a second. */
async function mine(blocks: readonly OriginalBlock[], flags: ImportFlags): Promise<Block[] | null> {
  const { ProofSearchPool } = await import("../mining/proof-search-pool.js");
  const pool = new ProofSearchPool({ workers: DEFAULTS.workers });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const chain = await importOriginalChain(blocks, pool, {
      difficulty: flags.difficulty,
      rule: flags.proofRule,
      maxMessageBytes: flags.maxMessageBytes,
      signal: abort.signal,
      onProgress: progressLine("importing: blocks mined", (line) => process.stderr.write(line)),
    });
    return chain;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await pool.close();
  }
}
