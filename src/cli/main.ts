import type { Command } from "commander";
import { registerCommands } from "./commands.js";
import { buildProgramWith, runProgram } from "./program.js";

export { EXIT_USAGE } from "./program.js";

/** Builds the `blockchain` program with every command. */
export function buildProgram(): Command {
  return buildProgramWith(registerCommands);
}

/** Runs the CLI; resolves to the process exit code. */
export function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}
