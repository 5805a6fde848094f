import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePortRange } from "./ports.js";

const BIN = fileURLToPath(new URL("../../../bin/blockchain", import.meta.url));

/** A running `blockchain devnet` and the URLs of its nodes. */
export interface Devnet {
  child: ChildProcess;
  urls: string[];
  /** What devnet printed up to "devnet ready" (a private devnet's token among it). */
  output: string;
}

/** Starts `blockchain devnet` on free ports (one worker a node, errors only) and waits until it says it is ready. */
export async function startDevnet(
  nodes: number,
  dir: string,
  difficulty: number,
  extraArgs: string[] = [],
): Promise<Devnet> {
  const basePort = await freePortRange(nodes);
  const args = [BIN, "devnet", "--nodes", String(nodes), "--base-port", String(basePort)];
  args.push("--difficulty", String(difficulty), "--dir", dir, ...extraArgs);
  args.push("--workers", "1", "--log-level", "error");
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const urls: string[] = [];
  let text = "";
  child.stdout?.setEncoding("utf8");
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("devnet did not start within 60 s")), 60_000);
    child.stdout?.on("data", (chunk: string) => {
      text += chunk;
      if (!text.includes("devnet ready")) return;
      clearTimeout(timer);
      for (const match of text.matchAll(/^node-\d+ (https?:\/\/\S+)$/gm))
        urls.push(match[1] as string);
      resolve();
    });
    child.once("exit", (code) => reject(new Error(`devnet exited (${code}) before it was ready`)));
  });
  try {
    await ready;
  } catch (err) {
    // Not ready: its nodes go with it (SIGINT: the devnet stops what it started), then the error.
    await stopDevnet({ child, urls, output: text });
    throw err;
  }
  return { child, urls, output: text };
}

/** Stops a devnet with SIGINT (it saves and stops its nodes) and waits for it to exit (SIGKILL after 60 s). */
export async function stopDevnet(devnet: Devnet): Promise<void> {
  if (devnet.child.exitCode !== null || devnet.child.signalCode !== null) return;
  const exited = new Promise((resolve) => devnet.child.once("exit", resolve));
  devnet.child.kill("SIGINT");
  const timer = setTimeout(() => devnet.child.kill("SIGKILL"), 60_000);
  await exited;
  clearTimeout(timer);
}
