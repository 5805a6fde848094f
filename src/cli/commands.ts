import type { Command } from "commander";
import { registerClientCommands } from "./client-commands.js";
import { registerDevnetCommand } from "./devnet-command.js";
import { registerMinerCommand } from "./miner-command.js";
import { registerUiCommand } from "./ui-command.js";

/** Every command of the CLI, each registered by its own module. */
export function registerCommands(program: Command): void {
  registerMinerCommand(program);
  registerClientCommands(program);
  registerUiCommand(program);
  registerDevnetCommand(program);
}
