import { type Agent, request as httpRequestRaw, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { type HttpAnswer, HttpRequestError, httpRequest } from "../net/http-client.js";
import { bearerHeader } from "../net/node-endpoint.js";

/** Thrown for any way a request to a node can fail: the follower marks the node unreachable. */
export class NodeReadError extends Error {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(`${address}: ${message}`);
    this.name = "NodeReadError";
  }
}

/**
 * How the watcher reaches one node: over HTTPS for a node given as
 * https:// (or found through one), its certificate chained to the group's CA
 * (--tls-ca), and with a writer's token for a node with --private-reads.
 */
export interface NodeAccess {
  https: boolean;
  /** The group's CA; none: the system's CAs. */
  ca?: Buffer;
  token?: string;
  /** Keep-alive connections for the polls (the follower's own, destroyed when it stops). */
  agent?: Agent;
}

/** The URL of `path` on the node at `host:port`. */
export function nodeUrl(address: string, path: string, https = false): string {
  return `${https ? "https" : "http"}://${address}${path}`;
}

/** What an answer other than 200 means, in words (a 401: which token is missing or wrong). */
function refusal(path: string, status: number, body: string, access: NodeAccess): string {
  let message = "";
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed?.message === "string") message = `: ${parsed.message.slice(0, 300)}`;
  } catch {
    // Not JSON: the status says enough.
  }
  if (status !== 401) return `GET ${path} answered ${status}${message}`;
  const hint = access.token
    ? " (the token given was refused)"
    : " (give a writer's token with --token or BLOCKCHAIN_TOKEN)";
  return `refused: GET ${path} answered 401${message}${hint}`;
}

/**
 * GET `path` of a node as JSON, within `timeoutMs` and at most `maxBytes`
 * (cut beyond), aborted by `signal`. node:http(s) rather than fetch: fetch
 * takes no CA of its own, and refuses the browsers' "bad ports".
 */
export async function readJson(
  address: string,
  path: string,
  access: NodeAccess,
  opts: { timeoutMs: number; maxBytes: number; signal: AbortSignal },
): Promise<unknown> {
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(address, {
      method: "GET",
      path,
      headers: bearerHeader(access.token),
      timeoutMs: opts.timeoutMs,
      maxResponseBytes: opts.maxBytes,
      signal: opts.signal,
      ...(access.agent ? { agent: access.agent } : {}),
      ...(access.https ? { tls: access.ca ? { ca: access.ca } : {} } : {}),
    });
  } catch (err) {
    const detail = err instanceof HttpRequestError ? err.detail : (err as Error).message;
    // OpenSSL's codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, ...) say little to a newcomer.
    const hint =
      access.https && /CERT|SIGNATURE|ISSUER/.test(detail)
        ? access.ca
          ? " (its certificate does not chain to the CA given with --tls-ca)"
          : " (its certificate is not one the system trusts: give the group's CA with --tls-ca)"
        : !access.https && /ECONNRESET|hang up|cut off/.test(detail)
          ? " (a node with TLS closes plain HTTP: if it has TLS, write it https://host:port)"
          : "";
    throw new NodeReadError(address, `GET ${path} failed: ${detail}${hint}`);
  }
  const text = answer.body.toString("utf8");
  if (answer.status !== 200) {
    throw new NodeReadError(address, refusal(path, answer.status, text, access));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new NodeReadError(address, `GET ${path} answered something that is not JSON`);
  }
}

/**
 * Opens a node's /events stream (resuming after `lastEventId`); resolves
 * with the open response once the node answered 200. On a connection of its
 * own (a stream holds it); `signal` ends it at any time.
 */
export function openEventStream(
  address: string,
  access: NodeAccess,
  opts: { lastEventId: string | null; signal: AbortSignal },
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = {
      accept: "text/event-stream",
      ...bearerHeader(access.token),
      ...(opts.lastEventId ? { "last-event-id": opts.lastEventId } : {}),
    };
    const url = nodeUrl(address, "/events", access.https);
    const req = access.https
      ? httpsRequest(url, {
          headers,
          agent: false,
          signal: opts.signal,
          ...(access.ca ? { ca: access.ca } : {}),
        })
      : httpRequestRaw(url, { headers, agent: false, signal: opts.signal });
    // `on`, not `once`: an abort after the answer may raise a second error, which must not go unheard.
    req.on("error", (err) => reject(new NodeReadError(address, `GET /events: ${err.message}`)));
    req.once("response", (res) => {
      // The reader (a for-await) sees a broken stream itself; until it starts (the gap is
      // filled first), an error with no listener would end the process.
      res.on("error", () => undefined);
      if (res.statusCode === 200) {
        resolve(res);
        return;
      }
      res.resume();
      reject(new NodeReadError(address, `GET /events answered ${res.statusCode}`));
    });
    req.end();
  });
}

/** One Server-Sent Event. */
export interface StreamEvent {
  id: string | null;
  event: string;
  data: string;
}

/** Splits an SSE text stream into events; feed it chunks, it calls `onEvent` for each whole event. */
export class SseParser {
  private rest = "";

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(chunk: string): void {
    const blocks = (this.rest + chunk).split("\n\n");
    this.rest = blocks.pop() ?? "";
    // One event larger than this is no event of a node's: drop what is held.
    if (this.rest.length > 1024 * 1024) this.rest = "";
    for (const block of blocks) {
      const event = parseBlock(block);
      if (event) this.onEvent(event);
    }
  }
}

function parseBlock(block: string): StreamEvent | null {
  let id: string | null = null;
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length === 0 ? null : { id, event, data: data.join("\n") };
}
