import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Block } from "../../src/core/block.js";
import type { Data } from "../../src/core/data.js";
import { hashBlock } from "../../src/core/hash.js";
import { newNodeId } from "../../src/net/node-id.js";

/** One request the peer server received. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  caller: string | undefined;
  /** The Accept header. */
  accept: string | undefined;
  body: unknown;
}

/** Answers a request itself instead of the honest node; return false to let the node answer. */
export type Override = (req: SeenRequest, res: ServerResponse) => boolean | Promise<boolean>;

/**
 * A real HTTP peer on loopback that speaks the node's peer endpoints over a
 * chain held in memory (an honest node), unless `override` answers first (a liar).
 */
export class PeerServer {
  chain: Block[];
  neighbours: string[] = [];
  pending: Data[] = [];
  /** The id its /status gives, as a node's. */
  nodeId = newNodeId();
  /** The proof rule its /status names, when set. */
  proofRule: string | null = null;
  readonly requests: SeenRequest[] = [];
  override: Override | null = null;
  private server: Server | null = null;

  constructor(chain: Block[]) {
    this.chain = chain;
  }

  /** Starts listening on 127.0.0.1 on a free port; resolves to its `host:port`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return this.address;
  }

  get address(): string {
    if (!this.server) throw new Error("the peer server is not started");
    const port = (this.server.address() as AddressInfo).port;
    return `127.0.0.1:${port}`;
  }

  /** Requests whose path starts with `prefix`. */
  seen(prefix: string): SeenRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://peer");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const header = req.headers["x-blockchain-node"];
    const seen: SeenRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      caller: Array.isArray(header) ? header[0] : header,
      accept: req.headers.accept,
      body: text ? JSON.parse(text) : undefined,
    };
    this.requests.push(seen);
    if (this.override && (await this.override(seen, res))) return;
    this.answer(seen, res);
  }

  private answer(req: SeenRequest, res: ServerResponse): void {
    const [status, body] = this.route(req);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private route(req: SeenRequest): [number, unknown] {
    const route = `${req.method} ${req.path}`;
    const tip = this.chain[this.chain.length - 1] as Block;
    switch (route) {
      case "GET /status":
        return [
          200,
          {
            length: this.chain.length,
            tip: hashBlock(tip),
            difficulty: 2,
            node_id: this.nodeId,
            ...(this.proofRule ? { proof_rule: this.proofRule } : {}),
            neighbours: this.neighbours,
          },
        ];
      case "GET /blocks": {
        const from = Number(req.query.get("from") ?? 0);
        const limit = Math.min(Number(req.query.get("limit") ?? 1000), 1000);
        return [200, { blocks: this.chain.slice(from, from + limit), length: this.chain.length }];
      }
      case "GET /neighbours":
        return [200, { neighbours: this.neighbours, length: this.neighbours.length }];
      case "GET /data": {
        if (!req.query.has("after") && !req.query.has("limit")) return [200, this.pending];
        const after = req.query.get("after") ?? "";
        const limit = Number(req.query.get("limit") ?? 1000);
        const page = this.pending
          .filter((d) => d.id > after)
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, limit);
        return [200, page];
      }
      case "POST /blocks":
        return [200, { accepted: false, length: this.chain.length }];
      case "POST /data":
        return [200, { added: 0 }];
      default:
        return [404, { message: `'${req.path.slice(1)}' is not a valid endpoint!` }];
    }
  }
}
