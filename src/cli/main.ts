import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands.js";
import { kebabAliases } from "./options.js";

/** Usage errors (a bad flag or argument) exit with this code. */
export const EXIT_USAGE = 2;

/** Builds the `blockchain` program with every command. */
export function buildProgram(): Command {
  const program = new Command("blockchain")
    .description("A proof-of-work blockchain node that keeps a replicated ledger of text messages")
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Every long flag of the program and its commands, e.g. `--chain-serialization`. */
function knownFlags(command: Command): Set<string> {
  const flags = new Set<string>();
  for (const option of command.options) if (option.long) flags.add(option.long);
  for (const sub of command.commands) for (const flag of knownFlags(sub)) flags.add(flag);
  return flags;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(kebabAliases(argv, knownFlags(program)));
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    process.stderr.write(`blockchain: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
