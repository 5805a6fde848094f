import { Command, CommanderError } from "commander";
import { VERSION } from "../config/version.js";
import { kebabAliases } from "./options.js";

/*
 * The `blockchain` program without its commands, and how it runs: shared by
 * the whole CLI (main.ts) and by the client commands' own small entry
 * (client-main.ts), so that a command answers the same from either.
 */

/** Usage errors (a bad flag or argument) exit with this code. */
export const EXIT_USAGE = 2;

/** The environment variables the commands read, for `blockchain --help`. */
const ENVIRONMENT_HELP = `
Environment:
  BLOCKCHAIN_HOST       default --host (a node's address; miner start: the listen address)
  BLOCKCHAIN_PORT       default --port of miner start and the client commands
  BLOCKCHAIN_LOG_LEVEL  default --log-level of miner start and devnet
Flags given on the command line win over the environment.`;

/** The `blockchain` program with the commands `register` adds. */
export function buildProgramWith(register: (program: Command) => void): Command {
  const program = new Command("blockchain")
    .description("A proof-of-work blockchain node that keeps a replicated ledger of text messages")
    .version(VERSION, "-V, --version", "print the version")
    .exitOverride();
  register(program);
  program.addHelpText("after", ENVIRONMENT_HELP);
  for (const command of allCommands(program)) pointToHelp(command);
  return program;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** `blockchain get block` for a subcommand of a subcommand. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** A usage error is one line that says what is wrong and where the help is, not the whole help. */
function pointToHelp(command: Command): void {
  const hint = `(see '${fullName(command)} --help')`;
  command.showHelpAfterError(false).configureOutput({
    outputError: (text, write) => write(`${text.trimEnd()} ${hint}\n`),
  });
}

/** Every long flag of the program and its commands, e.g. `--chain-serialization`. */
function knownFlags(command: Command): Set<string> {
  const flags = new Set<string>();
  for (const option of command.options) if (option.long) flags.add(option.long);
  for (const sub of command.commands) for (const flag of knownFlags(sub)) flags.add(flag);
  return flags;
}

/** Runs `program` on `argv`; resolves to the process exit code. */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
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
