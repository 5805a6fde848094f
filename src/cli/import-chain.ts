/* The work of `blockchain import` (import-command.ts loads it when the command runs). */
import { DEFAULTS } from "../config/config.js";
import type { Block } from "../core/block.js";
import { hashBlock } from "../core/hash.js";
import { checkOriginalChain, type OriginalBlock } from "../core/original-chain.js";
import type { ProofRule } from "../core/pow.js";
import { ImportError, importOriginalChain } from "../mining/import-original.js";
import { normalizeFormat } from "../storage/codecs/chain-format.js";
import { ChainLock, ChainLockedError } from "../storage/file/chain-lock.js";
import {
  assertNoChainAt,
  ChainExistsError,
  writeNewChainFile,
} from "../storage/file/new-chain-file.js";
import {
  OriginalChainError,
  readOriginalChainFile,
} from "../storage/original/original-chain-file.js";
import { progressLine } from "./progress-line.js";

export interface ImportFlags {
  difficulty: number;
  chainSerialization: string;
  proofRule: ProofRule;
  maxMessageBytes: number;
  json?: boolean;
}

export async function runImport(
  input: string,
  output: string,
  flags: ImportFlags,
): Promise<number> {
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
