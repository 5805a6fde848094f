import type { Command } from "commander";
import { registerClientCommands } from "./client-commands.js";
import { registerCompletionCommand } from "./completion-command.js";
import { registerConvertCommand } from "./convert-command.js";
import { registerDevnetCommand } from "./devnet-command.js";
import { registerImportCommand } from "./import-command.js";
import { registerMinerCommand } from "./miner-command.js";
import { registerPrivateCommands } from "./private-commands.js";
import { registerUiCommand } from "./ui-command.js";
import { registerVerifyCommand } from "./verify-command.js";
import { registerWatchCommand } from "./watch-command.js";

/** Every command of the CLI, each registered by its own module. */
export function registerCommands(program: Command): void {
  registerMinerCommand(program);
  registerClientCommands(program);
  registerUiCommand(program);
  registerDevnetCommand(program);
  registerWatchCommand(program);
  registerVerifyCommand(program);
  registerConvertCommand(program);
  registerImportCommand(program);
  registerCompletionCommand(program);
  registerPrivateCommands(program);
}
