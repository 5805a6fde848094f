import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Block } from "../core/block.js";
import { ORIGINAL_PROOF_RULE } from "../core/pow.js";
import { otherRulesValidating } from "../core/proof-rules.js";
import { type ValidationOptions, validateChain } from "../core/validate.js";
import { writeFileAtomic } from "./atomic-write.js";
import { type ChainFormat, codecFor, type DecodedChainFile, detectFormat } from "./chain-format.js";
import { ChainLoadError } from "./chain-load-error.js";
import { recogniseOriginalChain } from "./original-format.js";

/** A chain file as read: its bytes and its decoded (not yet validated) records. */
export interface ChainFile extends DecodedChainFile {
  path: string;
  format: ChainFormat;
  bytes: Buffer;
}

/**
 * Reads and decodes a chain file; `format` absent: detected from the magic.
 * Throws a ChainLoadError for a file that cannot be read or is damaged
 * anywhere but in a torn last record, which it reports in `torn`.
 */
export async function readChainFile(path: string, format?: ChainFormat): Promise<ChainFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new ChainLoadError(
      "READ_FAILED",
      path,
      `cannot read the chain file: ${why}`,
      {},
      { cause: err },
    );
  }
  const original = recogniseOriginalChain(bytes);
  if (original !== null) {
    throw new ChainLoadError(
      "ORIGINAL_CHAIN_FILE",
      path,
      `this is a chain file of the original Python node (its ${original} format), which this node cannot load; ` +
        `carry its messages over into a new chain with \`blockchain import ${path} <new_chain_path>\``,
    );
  }
  const chosen = format ?? detectFormat(bytes);
  return { path, format: chosen, bytes, ...codecFor(chosen).decode(bytes, path) };
}

/**
 * The blocks of a decoded chain file once checked: a valid chain (SPEC
 * section 3) whose every record is its block's exact encoding. Throws a
 * ChainLoadError (INVALID_CHAIN or NOT_CANONICAL) naming the block and offset.
 * A file with no whole record gives an empty array.
 */
export function checkChainFile(file: ChainFile, opts: ValidationOptions): Block[] {
  if (file.records.length === 0) return [];
  const result = validateChain(file.records, opts);
  if (!result.ok) {
    const reason = result.reason + otherRuleHint(file.records, opts);
    throw new ChainLoadError("INVALID_CHAIN", file.path, reason, locate(file, result.index));
  }
  const blocks = file.records as Block[];
  const codec = codecFor(file.format);
  for (const [i, block] of blocks.entries()) {
    // Exact bytes, not just equal values: a re-encode that differs would change the .hash
    // and, in JSON, could hide bytes that are not UTF-8.
    if (!codec.encodeRecord(block).equals(recordBytes(file, i))) {
      throw new ChainLoadError(
        "NOT_CANONICAL",
        file.path,
        `the record is not the ${file.format === "json" ? "canonical encoding" : "exact binary encoding"} of its block`,
        locate(file, i),
      );
    }
  }
  return blocks;
}

/**
 * For a chain invalid under the asked rule: which other proof rule it follows,
 * as a sentence to append to the reason (a node started with the wrong
 * --proof-rule gets told the right one), or "" when no rule makes it valid.
 */
function otherRuleHint(records: readonly unknown[], opts: ValidationOptions): string {
  const rule = opts.rule ?? ORIGINAL_PROOF_RULE;
  const others = otherRulesValidating(records, rule, opts);
  if (others.length === 0) return "";
  const names = others.map((name) => `'${name}'`).join(" or ");
  return ` (the file seems to follow the ${names} proof rule, not '${rule.name}': try --proof-rule ${others[0]})`;
}

/** Writes a whole chain file atomically (temp file + rename), creating missing folders. */
export async function writeChainFile(
  path: string,
  format: ChainFormat,
  chain: readonly Block[],
): Promise<void> {
  const codec = codecFor(format);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(
    path,
    Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]),
  );
}

/** The bytes of record `i` as they will stand once the load has finished the last record. */
function recordBytes(file: ChainFile, i: number): Buffer {
  const start = file.offsets[i] ?? 0;
  const stop = file.offsets[i + 1] ?? file.end;
  const raw = file.bytes.subarray(start, stop);
  const isLast = i === file.records.length - 1;
  return isLast && file.completion ? Buffer.concat([raw, file.completion]) : raw;
}

function locate(file: ChainFile, index: number): { index: number; line?: number; offset?: number } {
  const offset = file.offsets[index];
  return file.format === "json" ? { index, line: index + 1, offset } : { index, offset };
}
