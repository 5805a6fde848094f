import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { tryNormalizeAddress } from "../net/address.js";
import { tokenForNode } from "../net/node-endpoint.js";
import { registerControlRoutes, type TeachingControls } from "./control-routes.js";
import { NetworkModel } from "./network-model.js";
import { NodeFollower, type NodeFollowerOptions } from "./node-follower.js";
import { registerPageRoutes } from "./page-routes.js";

export type { TeachingControls } from "./control-routes.js";

export interface WatcherOptions {
  /**
   * The nodes to start from (host:port, or https://host:port for a node with
   * TLS): the others are found through their neighbours (those of an https
   * node are called over HTTPS too).
   */
  nodes: string[];
  /** A writer's token, sent to every node followed (for nodes with --private-reads). */
  token?: string;
  /** The group's CA that https nodes' certificates must chain to (none: the system's CAs). */
  tlsCa?: Buffer;
  port: number;
  host: string;
  /** Most nodes followed. */
  maxNodes: number;
  /** Between two deltas sent to the page (events are batched, not sent one by one). */
  flushMs?: number;
  follower?: Partial<NodeFollowerOptions>;
  /** Most blocks the view keeps (the oldest go first). */
  maxBlocks?: number;
  /** A devnet's buttons: split, heal, stop, start. */
  controls?: TeachingControls;
}

const FOLLOWER_DEFAULTS: NodeFollowerOptions = {
  pollMs: 1500,
  requestTimeoutMs: 3000,
  maxBodyBytes: 8 * 1024 * 1024,
  trunkBlocks: 64,
  streamIdleMs: 40_000,
  maxRetryMs: 2000,
};

/** Most page streams served at once. */
const MAX_PAGE_STREAMS = 64;
/** A page stream whose client reads slower than this backlog is dropped (it reconnects to a snapshot). */
const MAX_STREAM_BACKLOG = 4 * 1024 * 1024;

/**
 * `blockchain watch`: follows every node it can find from the ones given
 * (transitively through their neighbours, up to `maxNodes`), merges what they
 * tell into one model, and serves the page, GET /network (a snapshot) and
 * GET /network/events (one merged stream, batched every `flushMs`).
 */
export class Watcher {
  readonly model: NetworkModel;
  private readonly followers = new Map<string, NodeFollower>();
  private readonly streams = new Set<ServerResponse>();
  private readonly followerOptions: NodeFollowerOptions;
  private app: FastifyInstance | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private boundPort = 0;
  private lastWrite = Date.now();
  /** Written into the page: the control routes ask for it, so that no other site can press the buttons. */
  readonly pageToken = randomBytes(16).toString("hex");

  constructor(private readonly opts: WatcherOptions) {
    this.followerOptions = { ...FOLLOWER_DEFAULTS, ...opts.follower };
    this.model = new NetworkModel({
      maxBlocks: opts.maxBlocks ?? 5000,
      maxEvents: 1000,
      maxSamples: 1000,
      lagBlocks: 3,
    });
    if (opts.nodes.length === 0) throw new TypeError("watch needs at least one node (host:port)");
    if (!Number.isSafeInteger(opts.maxNodes) || opts.maxNodes < 1) {
      throw new RangeError(`--max-nodes must be a positive integer, got ${opts.maxNodes}`);
    }
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const host = this.opts.host.includes(":") ? `[${this.opts.host}]` : this.opts.host;
    return `http://${host}:${this.boundPort}/`;
  }

  async start(): Promise<void> {
    const { default: Fastify } = await import("fastify");
    const app = Fastify({ logger: false, forceCloseConnections: true });
    registerPageRoutes(app, {
      pageToken: this.pageToken,
      controls: this.opts.controls !== undefined,
    });
    app.get("/network", async () => this.model.snapshot(this.opts.controls !== undefined));
    app.get("/network/events", (request, reply) => {
      if (this.streams.size >= MAX_PAGE_STREAMS) {
        return reply
          .code(429)
          .send({ message: `at most ${MAX_PAGE_STREAMS} page streams at once` });
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      // Each (re)connection starts from a whole picture: the deltas after it apply to it.
      const snapshot = this.model.snapshot(this.opts.controls !== undefined);
      res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
      this.streams.add(res);
      res.on("close", () => this.streams.delete(res));
      request.raw.on("close", () => this.streams.delete(res));
    });
    if (this.opts.controls) {
      registerControlRoutes(app, {
        controls: this.opts.controls,
        pageToken: this.pageToken,
        note: (what, detail) => this.model.noteControl(what, detail),
      });
    }
    app.addHook("preClose", async () => {
      for (const res of this.streams) res.end();
      this.streams.clear();
    });
    await app.listen({ port: this.opts.port, host: this.opts.host });
    this.app = app;
    this.boundPort = (app.server.address() as AddressInfo).port;
    this.discover(this.opts.nodes);
    this.flushTimer = setInterval(() => this.flush(), this.opts.flushMs ?? 200);
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    await Promise.all([...this.followers.values()].map((f) => f.stop()));
    this.followers.clear();
    await this.app?.close();
    this.app = null;
  }

  /**
   * Follows the addresses not followed yet, while there is room. An address
   * is called over HTTPS when written https://, or when found through a node
   * called over HTTPS (a TLS group's members name each other host:port).
   */
  private discover(inputs: readonly string[], foundOverHttps = false): void {
    for (const input of inputs) {
      if (this.followers.size >= this.opts.maxNodes) return;
      const scheme = /^(https?):\/\//i.exec(input);
      const https = scheme ? scheme[1]?.toLowerCase() === "https" : foundOverHttps;
      const address = tryNormalizeAddress(
        scheme ? input.slice(scheme[0].length).replace(/\/$/, "") : input,
      );
      if (address === null || this.followers.has(address)) continue;
      const follower = new NodeFollower(address, this.followerOptions, {
        model: this.model,
        discovered: (found) => this.discover(found, https),
        access: { https, ...this.accessTo(address) },
      });
      this.followers.set(address, follower);
      follower.start();
    }
  }

  /** The CA and the token for one node: the token given, or a local node's cookie. */
  private accessTo(address: string): { ca?: Buffer; token?: string } {
    const colon = address.lastIndexOf(":");
    const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
    const token = tokenForNode({ token: this.opts.token }, host, Number(address.slice(colon + 1)));
    return {
      ...(this.opts.tlsCa ? { ca: this.opts.tlsCa } : {}),
      ...(token ? { token } : {}),
    };
  }

  /** Sends what changed since the last flush to every page, as one event. */
  private flush(): void {
    const delta = this.model.takeDelta();
    // A comment now and then keeps proxies and browsers from closing a quiet stream.
    const quiet = Date.now() - this.lastWrite > 15_000;
    if ((!delta && !quiet) || this.streams.size === 0) return;
    this.lastWrite = Date.now();
    const text = delta ? `event: update\ndata: ${JSON.stringify(delta)}\n\n` : ": keep-alive\n\n";
    for (const res of this.streams) {
      if (res.writableLength > MAX_STREAM_BACKLOG) res.destroy();
      else res.write(text);
    }
  }
}
