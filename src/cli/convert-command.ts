import { type Command, Option } from "commander";
import { MAX_DIFFICULTY } from "../core/pow.js";
import { FORMAT_NAMES } from "../storage/codecs/chain-format.js";
import { expandHome } from "../storage/file/home-path.js";
import type { ConvertFlags } from "./convert-chain.js";
import { intIn } from "./options.js";

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
      const { convertChainFile } = await import("./convert-chain.js");
      process.exitCode = await convertChainFile(expandHome(input), expandHome(output), flags);
    });
}
