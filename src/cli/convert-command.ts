import { stat } from "node:fs/promises";
import { type Command, Option } from "commander";
import { MAX_DIFFICULTY } from "../core/pow.js";
import { checkChainFile, readChainFile, writeChainFile } from "../storage/chain-file.js";
import { FORMAT_NAMES, normalizeFormat } from "../storage/chain-format.js";
import { ChainLoadError } from "../storage/chain-load-error.js";
import { ChainLock } from "../storage/chain-lock.js";
import { expandHome } from "../storage/home-path.js";
import { vouchForNewChainFile } from "../storage/new-chain-file.js";
import { intIn } from "./options.js";

interface ConvertFlags {
  to: string;
  from?: string;
  difficulty: number;
  json?: boolean;
}

/** Largest message convert accepts: the most any node may be configured to take. */
const CONVERT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** `blockchain convert <in> <out> --to json|binary`: rewrites a chain file in another format. */
export function registerConvertCommand(program: Command): void {
  program
    .command("convert")
    .description(
      "write a chain file in another format (the input is checked first and left as it is)",
    )
    .argument("<in>", "the chain file to read")
    .argument("<out>", "the chain file to write (replaced atomically if it exists)")
    .addOption(
      new Option("--to <format>", "the output format ('pickle' = binary)")
        .choices(FORMAT_NAMES)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        "--from <format>",
        "the input format (default: detected from its first bytes)",
      ).choices(FORMAT_NAMES),
    )
    .option(
      "--difficulty <n>",
      "the difficulty the input chain is checked against (1: any proof of work passes)",
      intIn(1, MAX_DIFFICULTY),
      1,
    )
    .option("--json", "print what was written as JSON")
    .action(async (input: string, output: string, flags: ConvertFlags) => {
      process.exitCode = await convertChainFile(expandHome(input), expandHome(output), flags);
    });
}

async function convertChainFile(
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
