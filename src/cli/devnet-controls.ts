import type { ChildProcess } from "node:child_process";
import { HttpRequestError, httpRequest } from "../net/http-client.js";
import type { TeachingControls } from "../watch/watcher.js";

/** One node a devnet runs: how to start it again once stopped. */
export interface DevnetNode {
  name: string;
  port: number;
  args: string[];
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Stopped from the view: its exit is no reason to end the devnet. */
  stoppedOnPurpose: boolean;
}

export interface DevnetControlDeps {
  nodes: DevnetNode[];
  token: string;
  /** A devnet with --tls: its nodes serve HTTPS with certificates of this CA. */
  tlsCa?: Buffer;
  /** Starts a node again (the devnet's own spawn), resolving once it serves. */
  restart: (node: DevnetNode) => Promise<void>;
  /** Stops a node (SIGTERM, then SIGKILL after a deadline), resolving once it exited. */
  stopNode: (node: DevnetNode) => Promise<void>;
}

/** How long a node may take to answer the devnet's control. */
const CONTROL_TIMEOUT_MS = 5_000;

/**
 * The teaching controls of a devnet's view: split the nodes into two groups
 * (each node told, with the devnet's token, which addresses it is cut off
 * from), heal, stop a node, start it again (re-told the split if one holds).
 */
export class DevnetControls implements TeachingControls {
  private groups: string[][] | null = null;

  constructor(private readonly deps: DevnetControlDeps) {}

  private addressOf(node: DevnetNode): string {
    return `127.0.0.1:${node.port}`;
  }

  async split(): Promise<string[][]> {
    const all = this.deps.nodes.map((n) => this.addressOf(n));
    if (all.length < 2) throw new Error("a split needs at least two nodes");
    const half = Math.ceil(all.length / 2);
    this.groups = [all.slice(0, half), all.slice(half)];
    await this.tellAll();
    return this.groups;
  }

  async heal(): Promise<void> {
    this.groups = null;
    await this.tellAll();
  }

  async stop(address: string): Promise<void> {
    const node = this.nodeAt(address);
    if (node.child.exitCode !== null || node.child.signalCode !== null) {
      throw new Error(`${node.name} (${address}) is not running`);
    }
    node.stoppedOnPurpose = true;
    await this.deps.stopNode(node);
  }

  async start(address: string): Promise<void> {
    const node = this.nodeAt(address);
    if (node.child.exitCode === null && node.child.signalCode === null) {
      throw new Error(`${node.name} (${address}) is running already`);
    }
    await this.deps.restart(node);
    node.stoppedOnPurpose = false;
    if (this.groups) await this.tell(node);
  }

  private nodeAt(address: string): DevnetNode {
    const node = this.deps.nodes.find((n) => this.addressOf(n) === address);
    if (!node) throw new Error(`${address} is no node of this devnet`);
    return node;
  }

  /** Tells every running node (a stopped one is told when started again); fails naming those that did not take it. */
  private async tellAll(): Promise<void> {
    const running = this.deps.nodes.filter(
      (n) => n.child.exitCode === null && n.child.signalCode === null && !n.stoppedOnPurpose,
    );
    const told = await Promise.allSettled(running.map((node) => this.tell(node)));
    const failed = told.flatMap((result, i) =>
      result.status === "rejected"
        ? [`${running[i]?.name}: ${(result.reason as Error).message}`]
        : [],
    );
    if (failed.length > 0) throw new Error(`not every node took it: ${failed.join("; ")}`);
  }

  /** Tells one node which addresses it is cut off from now (none when healed). */
  private async tell(node: DevnetNode): Promise<void> {
    const own = this.addressOf(node);
    const cutOff = this.groups?.find((group) => !group.includes(own)) ?? [];
    let status: number;
    try {
      const answer = await httpRequest(own, {
        method: "POST",
        path: "/devnet/partition",
        headers: { authorization: `Bearer ${this.deps.token}` },
        json: JSON.stringify({ cut_off: cutOff }),
        timeoutMs: CONTROL_TIMEOUT_MS,
        maxResponseBytes: 64 * 1024,
        ...(this.deps.tlsCa ? { tls: { ca: this.deps.tlsCa } } : {}),
      });
      status = answer.status;
    } catch (err) {
      if (!(err instanceof HttpRequestError)) throw err;
      throw new Error(`${node.name} did not take the split (${err.detail})`);
    }
    if (status !== 200) {
      throw new Error(`${node.name} refused the split (${status})`);
    }
  }
}
