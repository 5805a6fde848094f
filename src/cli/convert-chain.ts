/* The work of `blockchain convert` (convert-command.ts loads it when the command runs). */
import { stat } from "node:fs/promises";
import { ChainLoadError } from "../storage/chain-load-error.js";
import { normalizeFormat } from "../storage/codecs/chain-format.js";
import { checkChainFile, readChainFile, writeChainFile } from "../storage/file/chain-file.js";
import { ChainLock } from "../storage/file/chain-lock.js";
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
  const size = (await stat(output)).size;
  const summary = {
    blocks: blocks.length,
    from: { path: input, format: file.format, bytes: file.bytes.length },
    to: { path: output, format: to, bytes: size },
  };
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(summary)}\n`
      : `converted ${blocks.length} blocks: ${input} (${file.format}, ${file.bytes.length} bytes) -> ${output} (${to}, ${size} bytes)\n`,
  );
  return 0;
}
