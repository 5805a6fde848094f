import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRange } from "../../bench/lib/ports.js";
import { BIN } from "./node-process.js";

/**
 * A base port for `blockchain devnet --nodes <nodes> --base-port`: its view's
 * port (base - 1) and its nodes' ports are free now, and outside the
 * ephemeral range, where the devnet's own outgoing connections could take one
 * before its node listens (freePortRange).
 */
export async function devnetBasePort(nodes: number): Promise<number> {
  return (await freePortRange(nodes + 1)) + 1;
}

/** A running `blockchain devnet` (with its network view), removed however the test ends. */
export class DevnetProcess {
  private output = "";
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly basePort: number,
    readonly nodes: number,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      this.output = (this.output + chunk).slice(-64 * 1024);
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.output = (this.output + chunk).slice(-64 * 1024);
    });
  }

  /** The addresses of its nodes, node-0 first. */
  get addresses(): string[] {
    return Array.from({ length: this.nodes }, (_, i) => `127.0.0.1:${this.basePort + i}`);
  }

  /** What it printed (the last 64 KiB), for a failing test's message. */
  get printed(): string {
    return this.output;
  }

  /** The view's URL, read from its `network view:` line. */
  get viewUrl(): string {
    const match = /network view: (http:\/\/\S+)/.exec(this.output);
    if (!match) throw new Error(`devnet printed no view URL:\n${this.output}`);
    return match[1] as string;
  }

  static async start(opts: {
    nodes: number;
    difficulty: number;
    timeoutMs?: number;
    /** More devnet flags (--private, --tls, ...). */
    args?: string[];
  }): Promise<DevnetProcess> {
    const dir = await mkdtemp(join(tmpdir(), "bc-devnet-"));
    const viewPort = (await devnetBasePort(opts.nodes)) - 1;
    const child = spawn(
      process.execPath,
      [
        BIN,
        "devnet",
        "--nodes",
        String(opts.nodes),
        "--base-port",
        String(viewPort + 1),
        "--difficulty",
        String(opts.difficulty),
        "--workers",
        "1",
        "--dir",
        dir,
        "--log-level",
        "warn",
        ...(opts.args ?? []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const devnet = new DevnetProcess(child, dir, viewPort + 1, opts.nodes);
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (devnet.output.includes("devnet ready")) {
            clearInterval(timer);
            resolve();
          } else if (child.exitCode !== null || Date.now() > deadline) {
            clearInterval(timer);
            reject(new Error(`devnet did not get ready:\n${devnet.output}`));
          }
        }, 50);
      });
    } catch (err) {
      await devnet.stop();
      throw err;
    }
    return devnet;
  }

  /** Ctrl-C (SIGKILL after a deadline), then its folder removed. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    const code = await this.exited;
    clearTimeout(timer);
    await rm(this.dir, { recursive: true, force: true });
    return code;
  }
}
