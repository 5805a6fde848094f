/* The work of `blockchain convert` (convert-command.ts loads it when the command runs). */
import { stat } from "node:fs/promises";
import { ChainLoadError } from "../storage/chain-load-error.js";
import { type ChainFormat, normalizeFormat } from "../storage/codecs/chain-format.js";
import {
  checkChainFile,
  formatOfFile,
  readChainFile,
  writeChainFile,
} from "../storage/file/chain-file.js";
import { ChainLock } from "../storage/file/chain-lock.js";
import { convertInChunks } from "../storage/file/convert-in-chunks.js";
import { vouchForNewChainFile } from "../storage/file/new-chain-file.js";

export interface ConvertFlags {
  to: string;
  from?: string;
  difficulty: number;
  json?: boolean;
}

/** Largest message convert accepts: the most any node may be configured to take. */
const CONVERT_MAX_MESSAGE_BYTES = 1024 * 1024;

export async function convertChainFile(
  input: string,
  output: string,
  flags: ConvertFlags,
): Promise<number> {
  const to = normalizeFormat(flags.to);
  const from = flags.from ? normalizeFormat(flags.from) : await formatOfFile(input);
  // A valid file (of any size) in chunks; the whole-file path below names what is wrong with another.
  const lock = await ChainLock.acquire(output);
  let converted: Awaited<ReturnType<typeof convertInChunks>>;
  try {
    converted =
      from === null
        ? null
        : await convertInChunks(input, output, from, to, {
            difficulty: flags.difficulty,
            maxMessageBytes: CONVERT_MAX_MESSAGE_BYTES,
          });
    if (converted !== null && !(converted instanceof ChainLoadError)) {
      await vouchForNewChainFile(output, converted.digest);
    }
  } finally {
    await lock.release();
  }
  if (converted instanceof ChainLoadError) {
    process.stderr.write(`blockchain: not converted: ${converted.message}\n`);
    return 1;
  }
  if (converted !== null) {
    if (converted.tornAt !== null) {
      process.stderr.write(
        `warning: ${input}: torn last record at byte offset ${converted.tornAt}; not converted\n`,
      );
    }
    report(flags, {
      blocks: converted.blocks,
      from: { path: input, format: from as ChainFormat, bytes: converted.inputBytes },
      to: { path: output, format: to, bytes: converted.outputBytes },
    });
    return 0;
  }
  return convertWhole(input, output, flags, to);
}

interface ConvertSummary {
  blocks: number;
  from: { path: string; format: ChainFormat; bytes: number };
  to: { path: string; format: ChainFormat; bytes: number };
}

function report(flags: ConvertFlags, summary: ConvertSummary): void {
  const { blocks, from, to } = summary;
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(summary)}\n`
      : `converted ${blocks} blocks: ${from.path} (${from.format}, ${from.bytes} bytes) -> ${to.path} (${to.format}, ${to.bytes} bytes)\n`,
  );
}

/** convert with the whole file in memory: a file not sound all through, or with a broken block. */
async function convertWhole(
  input: string,
  output: string,
  flags: ConvertFlags,
  to: ChainFormat,
): Promise<number> {
  const file = await readChainFile(input, flags.from ? normalizeFormat(flags.from) : undefined);
  if (file.torn) {
    process.stderr.write(
      `warning: ${input}: torn last record at byte offset ${file.torn.offset} (${file.torn.reason}); not converted\n`,
    );
  }
  let blocks: ReturnType<typeof checkChainFile>;
  try {
    blocks = checkChainFile(file, {
      difficulty: flags.difficulty,
      maxMessageBytes: CONVERT_MAX_MESSAGE_BYTES,
    });
  } catch (err) {
    if (!(err instanceof ChainLoadError)) throw err;
    process.stderr.write(`blockchain: not converted: ${err.message}\n`);
    return 1;
  }
  if (blocks.length === 0) {
    process.stderr.write(`blockchain: not converted: ${input} holds no whole block\n`);
    return 1;
  }
  // The output is a chain file like any other: not while a node (or another convert) owns it.
  const lock = await ChainLock.acquire(output);
  try {
    // The output's .hash vouches for it, even where it shares the .hash's name with its input
    // (chain.json -> chain.bin): the record beside the .hash says which file it is for.
    await vouchForNewChainFile(output, await writeChainFile(output, to, blocks));
  } finally {
    await lock.release();
  }
  report(flags, {
    blocks: blocks.length,
    from: { path: input, format: file.format, bytes: file.bytes.length },
    to: { path: output, format: to, bytes: (await stat(output)).size },
  });
  return 0;
}
