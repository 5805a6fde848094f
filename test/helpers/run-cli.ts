import { spawn } from "node:child_process";
import { BIN } from "./node-process.js";

export interface CliRun {
  code: number | null;
  /** The signal that ended it (SIGKILL when the deadline passed), or null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/blockchain ...args` as a child process to its end (killed
 * after `timeoutMs`); `wrap` prefixes the command, e.g. ["unshare", "-n"] to
 * run it in a network namespace of its own; `input`, when given, is written to its stdin.
 */
export function runCli(
  args: readonly string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    timeoutMs?: number;
    wrap?: string[];
    input?: string;
  } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const command = [...(opts.wrap ?? []), process.execPath, BIN, ...args];
    const child = spawn(command[0] as string, command.slice(1), {
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
