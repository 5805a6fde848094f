/* The work of `blockchain verify` (verify-command.ts loads it when the command runs). */

import { stat } from "node:fs/promises";
import { type ProofRuleName, proofRuleNamed } from "../core/proof-rules.js";
import { loadCheckedChainInParallel } from "../storage/chain-load.js";
import { ChainLoadError } from "../storage/chain-load-error.js";
import { checkChainFileInChunks } from "../storage/check/chunked-check.js";
import { codecFor, normalizeFormat } from "../storage/codecs/chain-format.js";
import { formatOfFile, MAX_CHAIN_FILE_BYTES, readChainBytes } from "../storage/file/chain-file.js";
import { hashFilePath, readChainHash } from "../storage/file/hash-file.js";
import { digestOf } from "../storage/file/running-digest.js";
import { nativeChainIndex } from "../storage/index/native-chain-index.js";

export interface VerifyFlags {
  /** Absent: the command reports the difficulty the chain meets. */
  difficulty?: number;
  proofRule: ProofRuleName;
  json?: boolean;
  chainSerialization?: string;
  maxMessageBytes: number;
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
 * Prints `valid: N blocks, tip <hash>` (exit code 0) or `invalid: block N:
 * reason` (1), or the same as JSON; without --difficulty the chain is checked
 * at the difficulty it meets, which is reported: the most that every proof
 * meets (the fewest trailing zeros of any proof's candidate hash), at least 1,
 * measured by the same pass that checks it at difficulty 1. A file that
 * cannot be read at all throws, naming the file. What a node would repair on
 * load (a torn last record, a stale .hash) is a warning on stderr.
 */
export async function verifyChainFile(path: string, flags: VerifyFlags): Promise<number> {
  try {
    const checkOpts = {
      difficulty: flags.difficulty ?? 1,
      rule: proofRuleNamed(flags.proofRule),
      maxMessageBytes: flags.maxMessageBytes,
      measureWork: flags.difficulty === undefined,
    };
    // A sound file of any size is checked in chunks (bounded memory); one with damage, a torn
    // end or a broken block is read whole below for the exact verdict (up to 4 GiB).
    const format = flags.chainSerialization
      ? normalizeFormat(flags.chainSerialization)
      : ((await formatOfFile(path)) ?? "json");
    const chunked = await checkChainFileInChunks(
      path,
      codecFor(format),
      checkOpts,
      nativeChainIndex(),
      false,
    ).catch(() => null);
    if (chunked instanceof ChainLoadError && (await stat(path)).size > MAX_CHAIN_FILE_BYTES) {
      throw chunked;
    }
    if (chunked !== null && !(chunked instanceof ChainLoadError)) {
      const blocks = chunked.index.count;
      await warnIfStale(path, chunked.digest.hex());
      const difficulty =
        flags.difficulty ?? (blocks > 1 ? Math.max(1, chunked.leastZeros ?? 1) : 1);
      printVerdict(
        {
          valid: true,
          blocks,
          tip: chunked.tipHash.toString("hex"),
          difficulty,
          difficulty_given: flags.difficulty !== undefined,
        },
        flags.json,
      );
      return 0;
    }
    // In shared memory: a large file is checked by several threads (storage/parallel-check.ts).
    const bytes = await readChainBytes(path, true);
    const codec = codecFor(format);
    // The file's SHA-256 (for its .hash) is taken in the thread pool while this thread checks it.
    const digesting = digestOf(bytes);
    digesting.catch(() => {});
    // Framed only: every record is parsed once, by the full check (native where built).
    const file = codec.soundPart(bytes, path);
    if (file.torn) {
      warn(
        `${path}: torn last record at byte offset ${file.torn.offset} (${file.torn.reason}); a node cuts it off on load`,
      );
    }
    if (file.completion) warn(`${path}: the last line lacks its newline; a node adds it on load`);
    const sound = bytes.subarray(0, file.end);
    const records = file.completion ? Buffer.concat([sound, file.completion]) : sound;
    const loaded = await loadCheckedChainInParallel(path, records, codec, checkOpts);
    if (!loaded) {
      printVerdict({ valid: false, index: 0, reason: `${path} holds no whole block` }, flags.json);
      return 1;
    }
    const blocks = loaded.records.length;
    const difficulty = flags.difficulty ?? (blocks > 1 ? Math.max(1, loaded.leastZeros ?? 1) : 1);
    await warnIfStale(path, (await digesting).hex());
    printVerdict(
      {
        valid: true,
        blocks,
        tip: loaded.records.hashAt(blocks - 1) as string,
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

/** Warns when the file's .hash holds another digest than `digest` (the file's). */
async function warnIfStale(path: string, digest: string): Promise<void> {
  // A .hash that vouches for another chain file of the same name says nothing about this one.
  const stored = (await readChainHash(path)).digest;
  if (stored !== null && stored !== digest) {
    warn(`${hashFilePath(path)} does not match the chain file (its sha256 is ${digest})`);
  }
}

/** The first bytes of a file (its format's magic), or none when it cannot be read (the whole read says why). */
function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
