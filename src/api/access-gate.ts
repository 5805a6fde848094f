import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import {
  answerProof,
  bodyDigest,
  isRefusal,
  PEER_ANSWER_HEADER,
  PEER_AUTH_HEADER,
  PeerProofCheck,
  PRIVATE_NETWORK_HEADER,
} from "../config/peer-proof.js";
import type { WriterTokens } from "../config/secret-files.js";

/** Who may do what on this node (SPEC section 10); everything absent is open. */
export interface AccessOptions {
  /** The group's network key: peers' requests must prove it. */
  networkKey?: Buffer;
  /** Writers: /add needs one's token. */
  writers?: WriterTokens;
  /** Reads need a writer's token too (peers: the network key). */
  privateReads?: boolean;
  logger?: Logger;
}

/** What a peer's request proved: its nonce (for the answer's proof) and the body digest it covers. */
interface Proven {
  nonce: string;
  digest: string;
}

const SENDER_HEADERS = ["x-blockchain-node", "x-blockchain-node-id", PEER_AUTH_HEADER];
/**
 * Refusals are logged once per connection address (not the claimed one, which
 * a stranger may vary) and kind; beyond this many, no more lines (a flood stays quiet).
 */
const MAX_LOGGED_REFUSALS = 1000;

/** Paths anyone may read even with --private-reads: the explorer's page, so that it can ask for a token. */
function isPublicPage(method: string, path: string): boolean {
  return method === "GET" && (path === "/" || path.startsWith("/ui/") || path === "/favicon.svg");
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Installs the checks of a private network before every other hook (a
 * refused caller is never noted as a neighbour, nothing of it is read):
 * peer requests must prove the network key, /add needs a writer's token,
 * and with private reads every other endpoint needs one of the two. Answers
 * to a proven peer carry the proof of the key in turn.
 */
export function installAccessGate(app: FastifyInstance, opts: AccessOptions): void {
  const proven = new WeakMap<FastifyRequest, Proven>();
  const check = opts.networkKey ? new PeerProofCheck(opts.networkKey) : null;
  const logged = new Set<string>();
  const logOnce = (key: string, fields: Record<string, unknown>, line: string) => {
    if (logged.has(key) || logged.size >= MAX_LOGGED_REFUSALS) return;
    logged.add(key);
    opts.logger?.warn(fields, line);
  };
  const refuse = (reply: FastifyReply, message: string, network: "private" | "open") =>
    reply.code(401).header(PRIVATE_NETWORK_HEADER, network).send({ message });

  // A callback hook, not an async one: no promise per request on a node's hottest path (/add).
  // A hook that answers does not call done(); every other path does.
  app.addHook("onRequest", (request, reply, done) => {
    const path = pathOf(request.url);
    const method = request.method;
    const isPeerWrite = method === "POST" && (path === "/blocks" || path === "/data");
    const fromPeer = SENDER_HEADERS.some((name) => request.headers[name] !== undefined);
    const callerOf = () => String(request.headers["x-blockchain-node"] ?? request.ip);
    if (!check && request.headers[PEER_AUTH_HEADER] !== undefined) {
      logOnce(
        `private:${request.ip}`,
        { caller: callerOf() },
        `${callerOf()} belongs to a private network (it proves a network key); this node is open: its requests are refused`,
      );
      refuse(
        reply,
        "this node belongs to an open network (it has no network key); a node of a private network cannot join it",
        "open",
      );
      return;
    }
    if (check && (isPeerWrite || fromPeer)) {
      const outcome = check.check(
        {
          method,
          url: request.url,
          nodeId: String(request.headers["x-blockchain-node-id"] ?? ""),
        },
        request.headers[PEER_AUTH_HEADER],
      );
      if (isRefusal(outcome)) {
        logOnce(
          `${outcome.kind}:${request.ip}`,
          { caller: callerOf(), ip: request.ip, reason: outcome.kind },
          `refused a peer request from ${callerOf()}: ${outcome.message}`,
        );
        refuse(reply, outcome.message, "private");
        return;
      }
      proven.set(request, { nonce: outcome.nonce, digest: outcome.digest });
    }
    const isAdd = path === "/add" && (method === "PUT" || method === "POST");
    const needsToken =
      (isAdd && opts.writers !== undefined) ||
      (opts.privateReads === true &&
        !isAdd &&
        !proven.has(request) &&
        method !== "OPTIONS" &&
        !isPublicPage(method, path));
    if (!needsToken) {
      done();
      return;
    }
    const writer = writerOf(request.headers.authorization, opts.writers);
    if (writer === null) {
      reply.header("www-authenticate", 'Bearer realm="blockchain"');
      reply.code(401).send({
        message: isAdd
          ? "this node takes messages from its writers only: send 'Authorization: Bearer <token>' with a writer's token (blockchain token <tokens_file> <name> makes one)"
          : "this node's reads are private: send 'Authorization: Bearer <token>' with a writer's token",
      });
      return;
    }
    (request as FastifyRequest & { writer?: string }).writer = writer;
    done();
  });

  if (check && opts.networkKey) {
    const key = opts.networkKey;
    // The body a peer sent must be the one its proof vouches for.
    app.addHook("preHandler", async (request, reply) => {
      const proof = proven.get(request);
      if (proof?.digest === undefined) return;
      const raw = (request as FastifyRequest & { rawBody?: string }).rawBody;
      if (bodyDigest(raw) !== proof.digest) {
        return refuse(
          reply,
          "wrong network key proof: the body is not the one the proof covers",
          "private",
        );
      }
    });
    app.addHook("onSend", async (request, reply, payload) => {
      const nonce = proven.get(request)?.nonce;
      if (nonce !== undefined) reply.header(PEER_ANSWER_HEADER, answerProof(key, nonce));
      return payload;
    });
  }

  // Every request has the property from the start (one object shape for V8).
  app.decorateRequest("writer", null);
}

/** The writer whose bearer token the Authorization header carries, or null. */
function writerOf(header: string | undefined, writers: WriterTokens | undefined): string | null {
  if (!writers || typeof header !== "string") return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? writers.writerOf(match[1] as string) : null;
}

/** The writer who sent a request (its token's name), or null. */
export function writerOfRequest(request: FastifyRequest): string | null {
  return (request as FastifyRequest & { writer?: string | null }).writer ?? null;
}
