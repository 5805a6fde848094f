import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { OriginalBlock } from "../../src/core/original-chain.js";
import { toJsonPickle } from "./original-chain.js";

/** A request the stand-in received. */
export interface SeenRequest {
  method: string;
  url: string;
}

/**
 * A stand-in for the original Python node's HTTP server (its Flask app, SPEC
 * section 6 and original-miner-api.txt): PUT /add?message=, and GET /chain,
 * /neighbours and /data whose answers nest a jsonpickle string; anything
 * else is its catch-all 404 (a known path with another method: 405 HTML).
 * It does not mine; it listens on 127.0.0.1, port 0.
 */
export class OriginalNodeStandIn {
  readonly requests: SeenRequest[] = [];
  /** Messages added with PUT /add, in order (the original keeps them in a set). */
  readonly pending: { id: string; message: string }[] = [];
  private constructor(
    private readonly server: Server,
    readonly chain: OriginalBlock[],
    readonly neighbours: [string, number][],
  ) {}

  static async start(opts: {
    chain: OriginalBlock[];
    neighbours?: [string, number][];
  }): Promise<OriginalNodeStandIn> {
    const server = createServer();
    const node = new OriginalNodeStandIn(server, opts.chain, opts.neighbours ?? []);
    server.on("request", (req, res) => node.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return node;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Its `host:port`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? "", url: req.url ?? "" });
    req.resume();
    const reply = this.answer(req.method ?? "", new URL(req.url ?? "/", "http://stand-in"));
    if (reply === null) {
      res.writeHead(405, { "content-type": "text/html; charset=utf-8" });
      res.end(METHOD_NOT_ALLOWED);
      return;
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  /** The status and JSON body the original gives; null for its 405 HTML page. */
  private answer(method: string, url: URL): { status: number; body: unknown } | null {
    const route = ROUTES[url.pathname];
    if (route && route !== method) return null;
    switch (route ? url.pathname : "") {
      case "/add":
        return this.add(url);
      case "/chain":
        return {
          status: 200,
          body: { chain: toJsonPickle(this.chain), length: this.chain.length },
        };
      case "/neighbours": {
        const set = { "py/set": this.neighbours.map((tuple) => ({ "py/tuple": tuple })) };
        return {
          status: 200,
          body: { neighbours: JSON.stringify(set), length: this.neighbours.length },
        };
      }
      case "/data": {
        const set = {
          "py/set": this.pending.map((d) => ({
            "py/object": "blockchain.blockchain.data.Data",
            _id: d.id,
            _message: d.message,
          })),
        };
        return { status: 200, body: JSON.stringify(set) };
      }
    }
    // Flask's catch-all serves GET and POST; the path is written without its leading slash.
    if (method !== "GET" && method !== "POST") return null;
    const path = decodeURIComponent(url.pathname.slice(1));
    return { status: 404, body: { message: `'${path}' is not a valid endpoint!` } };
  }

  private add(url: URL): { status: number; body: unknown } {
    const message = url.searchParams.get("message");
    if (!message) {
      return {
        status: 400,
        body: { message: "No Message added!", more_information: "Missing data." },
      };
    }
    this.pending.push({ id: randomUUID().replaceAll("-", ""), message });
    return {
      status: 200,
      body: { message: "Message added!", more_information: "Will be mined in a future block." },
    };
  }
}

/** The original's routes and their one method. */
const ROUTES: Record<string, string> = {
  "/add": "PUT",
  "/chain": "GET",
  "/neighbours": "GET",
  "/data": "GET",
};

const METHOD_NOT_ALLOWED =
  "<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n";
