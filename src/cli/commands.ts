import type { Command } from "commander";

/** Every command of the CLI, each registered by its own module. */
export function registerCommands(program: Command): void {
  void program;
}
