import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The `blockchain` command of this checkout (from dist/test/helpers/). */
export const BIN = fileURLToPath(new URL("../../../bin/blockchain", import.meta.url));

export interface NodeProcessOptions {
  /** The chain file; default: chain.json in a fresh temp folder, removed on stop. */
  chainPath?: string;
  /** Listen port; 0 (default) lets the system choose, read back from the `listening on` line. */
  port?: number;
  /** More `miner start` flags, e.g. ["--difficulty", "2", "--workers", "1"]. */
  args?: string[];
  /** How long to wait for `listening on` (default 20 s). */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** The node's working folder (default: this process's). */
  cwd?: string;
  /** A command that runs the node, e.g. ["ip", "netns", "exec", NAME] (the simnet). */
  wrapper?: string[];
}

/** Most output lines kept, to show what a node said when a test fails. */
const MAX_OUTPUT_LINES = 200;

/** A `blockchain miner start` child process, serving. */
export class NodeProcess {
  private readonly lines: string[] = [];
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly chainPath: string,
    private readonly ownDir: string | null,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
  }

  /** The URL the node serves, e.g. http://127.0.0.1:41234. */
  url = "";
  port = 0;

  /** Its `host:port`, as peers write it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** The last lines the node wrote (stdout and stderr), for failure messages. */
  output(): string {
    return this.lines.join("\n");
  }

  /** Starts `miner start` and resolves once it prints `listening on http://HOST:PORT`. */
  static async start(opts: NodeProcessOptions = {}): Promise<NodeProcess> {
    const ownDir = opts.chainPath ? null : await mkdtemp(join(tmpdir(), "bc-node-"));
    const chainPath = opts.chainPath ?? join(ownDir as string, "chain.json");
    const args = [
      BIN,
      "miner",
      "start",
      chainPath,
      "--port",
      String(opts.port ?? 0),
      ...(opts.args ?? []),
    ];
    const [command, ...prefix] = [...(opts.wrapper ?? []), process.execPath];
    const child = spawn(command as string, [...prefix, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    const node = new NodeProcess(child, chainPath, ownDir);
    await node.waitListening(opts.startTimeoutMs ?? 20_000);
    return node;
  }

  private waitListening(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        this.child.kill("SIGKILL");
        reject(new Error(`${why}; the node said:\n${this.output()}`));
      };
      const timer = setTimeout(
        () => fail(`no 'listening on' line within ${timeoutMs} ms`),
        timeoutMs,
      );
      this.collect(this.child.stderr, () => undefined);
      this.collect(this.child.stdout, (line) => {
        const match = /listening on (https?:\/\/(.+):(\d+))/.exec(line);
        if (!match) return;
        clearTimeout(timer);
        this.url = match[1] as string;
        this.port = Number(match[3]);
        resolve();
      });
      this.child.once("exit", (code, signal) =>
        fail(`the node exited (${code ?? signal}) before listening`),
      );
    });
  }

  private collect(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        this.lines.push(line);
        if (this.lines.length > MAX_OUTPUT_LINES) this.lines.shift();
        onLine(line);
      }
    });
  }

  /**
   * Sends SIGTERM and waits for the exit (SIGKILL after `killAfterMs`);
   * resolves to the exit code (null when killed). Removes its own temp folder.
   */
  async stop(killAfterMs = 15_000): Promise<number | null> {
    if (this.running) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), killAfterMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownDir) await rm(this.ownDir, { recursive: true, force: true });
    return this.exitCode;
  }

  /** kill -9: resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Resolves when the process exits by itself. */
  async waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await this.exited;
    return { code: this.exitCode, signal: this.exitSignal };
  }
}

/** A port free on 127.0.0.1 right now (for rings, where each node must know the next one's port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** GET a node's JSON endpoint, with a time-out. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** POST JSON to a node; the status and the parsed answer. */
export async function postJson<T = unknown>(
  url: string,
  body: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A block as the API serves it (kept loose here: tests check what they need). */
export interface ServedBlock {
  index: number;
  timestamp: number;
  data: { id: string; message: string };
  previous_hash: string | null;
  proof: number | null;
}

/** A node's whole chain, read page by page with GET /blocks. */
export async function chainOf(url: string): Promise<ServedBlock[]> {
  const blocks: ServedBlock[] = [];
  for (let page = 0; page < 10_000; page++) {
    const answer = await getJson<{ blocks: ServedBlock[]; length: number }>(
      `${url}/blocks?from=${blocks.length}&limit=1000`,
    );
    blocks.push(...answer.blocks);
    if (answer.blocks.length === 0 || blocks.length >= answer.length) break;
  }
  return blocks;
}

/** Submits a message with POST /add; resolves to its id. */
export async function addMessage(url: string, message: string): Promise<string> {
  const { status, body } = await postJson<{ id: string }>(`${url}/add`, { message });
  if (status !== 200)
    throw new Error(`POST ${url}/add answered ${status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** A value of a counter or gauge in a node's GET /metrics (0 when absent). */
export async function metricOf(url: string, name: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** Announces `blocks` to a node with POST /blocks, `pageSize` at a time; throws unless each page is accepted. */
export async function feedBlocks(
  url: string,
  blocks: readonly ServedBlock[],
  pageSize = 1000,
): Promise<void> {
  for (let i = 0; i < blocks.length; i += pageSize) {
    const { status, body } = await postJson(`${url}/blocks`, {
      blocks: blocks.slice(i, i + pageSize),
    });
    if (status !== 200)
      throw new Error(`POST ${url}/blocks answered ${status}: ${JSON.stringify(body)}`);
  }
}
