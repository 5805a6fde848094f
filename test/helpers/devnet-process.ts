import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { outsideEphemeral } from "../../bench/lib/ports.js";
import { BIN } from "./node-process.js";

/** Whether `port` on 127.0.0.1 can be listened on now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports (a devnet's view, then its nodes); a bounded number of tries. */
export async function freePortRun(count: number): Promise<number> {
  const [low, high] = outsideEphemeral(count);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    let free = true;
    for (let i = 0; i < count && free; i++) free = await portFree(base + i);
    if (free) return base;
  }
  throw new Error(`found no ${count} consecutive free ports`);
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
    const viewPort = await freePortRun(opts.nodes + 1);
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
