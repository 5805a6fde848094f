import type { Command } from "commander";
import { registerClientCommands } from "./client-commands.js";
import { buildProgramWith, runProgram } from "./program.js";

/*
 * The entry of the client commands alone (`blockchain add`, `blockchain get
 * ...`), which scripts call in loops: bin/blockchain runs it from its own
 * small bundle (scripts/build-cli.mjs), without the node's server, storage
 * and the other commands that the whole CLI (main.ts) loads. The commands
 * are the same registration as in the whole CLI, so they parse, answer and
 * fail alike; only a snake_case flag that no client command has
 * (`--chain_serialization`) is named as typed in the error, where the whole
 * CLI names its kebab-case form.
 */

/** The words bin/blockchain sends here: the commands client-commands.ts registers. */
export const CLIENT_COMMAND_WORDS = ["add", "get"] as const;

/** Builds the `blockchain` program with the client commands only. */
export function buildClientProgram(): Command {
  return buildProgramWith(registerClientCommands);
}

/** Runs a client command; resolves to the process exit code. */
export function main(argv: string[]): Promise<number> {
  return runProgram(buildClientProgram(), argv);
}
