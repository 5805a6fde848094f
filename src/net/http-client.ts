import { Agent, type ClientRequest, type IncomingHttpHeaders, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/**
 * Why a request got no usable answer: `unreachable` (no connection, reset),
 * `timeout`, `too-large` (the answer passed the cap), `aborted` (the caller's
 * signal).
 */
export type HttpFailureKind = "unreachable" | "timeout" | "too-large" | "aborted";

/** A request that got no usable answer; `detail` says why in words. */
export class HttpRequestError extends Error {
  readonly code = "HTTP_REQUEST";
  constructor(
    readonly kind: HttpFailureKind,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "HttpRequestError";
  }
}

export interface HttpRequestOptions {
  method: "GET" | "POST" | "PUT";
  /** The path and query, e.g. `/blocks?from=3`. */
  path: string;
  headers?: Record<string, string>;
  /** A JSON text, sent with its content type. */
  json?: string;
  /** The whole exchange, connection to last byte, must fit in this. */
  timeoutMs: number;
  /** Answers longer than this are cut off (HttpRequestError "too-large"). */
  maxResponseBytes: number;
  signal?: AbortSignal;
  /** A keep-alive agent to reuse connections; none: one connection, closed after. */
  agent?: Agent;
  /** HTTPS: the server's certificate must chain to `ca` (the group's CA), or to the system's CAs without one. */
  tls?: { ca?: Buffer };
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A keep-alive agent for talking to peers; idle connections close before a server would drop them. */
export function keepAliveAgent(tls?: { ca?: Buffer }): Agent {
  const opts = { keepAlive: true, maxSockets: 8, maxFreeSockets: 4, timeout: 4_000 };
  return tls ? new HttpsAgent({ ...opts, ...(tls.ca ? { ca: tls.ca } : {}) }) : new Agent(opts);
}

/**
 * One HTTP request to `origin` (`host:port`, IPv6 hosts in brackets), with
 * node:http rather than fetch: fetch refuses the browsers' "bad ports" (6000,
 * 6665-6669, 10080, ...), on which a node may well listen. A request on a
 * reused keep-alive connection that the server closed meanwhile is sent once
 * more on a new one.
 */
export async function httpRequest(origin: string, opts: HttpRequestOptions): Promise<HttpAnswer> {
  try {
    return await attempt(origin, opts);
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
  }
  // Once more on a connection of its own: the agent's other idle connections
  // may be just as stale (the peer restarted or a partition healed), and a
  // StaleSocketError must never reach the caller, which expects HttpRequestError.
  try {
    return await attempt(origin, { ...opts, agent: undefined });
  } catch (err) {
    if (err instanceof StaleSocketError) throw new HttpRequestError("unreachable", "ECONNRESET");
    throw err;
  }
}

/** The server closed a reused idle connection just as the request went out. */
class StaleSocketError extends Error {}

function attempt(origin: string, opts: HttpRequestOptions): Promise<HttpAnswer> {
  let url: URL;
  try {
    url = new URL(`${opts.tls ? "https" : "http"}://${origin}${opts.path}`);
  } catch {
    return Promise.reject(new HttpRequestError("unreachable", `not an address: ${origin}`));
  }
  if (opts.signal?.aborted) {
    return Promise.reject(new HttpRequestError("aborted", "the request was cancelled"));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    let req: ClientRequest;
    const finish = (err: Error | null, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(answer as HttpAnswer);
    };
    const onAbort = () => finish(new HttpRequestError("aborted", "the request was cancelled"));
    const timer = setTimeout(
      () => finish(new HttpRequestError("timeout", `no answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const body = opts.json === undefined ? undefined : Buffer.from(opts.json, "utf8");
    const reqOpts = {
      method: opts.method,
      agent: opts.agent ?? false,
      headers: {
        ...opts.headers,
        ...(body ? { "content-type": "application/json", "content-length": body.length } : {}),
      },
    };
    req = opts.tls
      ? httpsRequest(url, { ...reqOpts, ...(opts.tls.ca ? { ca: opts.tls.ca } : {}) })
      : request(url, reqOpts);
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === "ECONNRESET" && !settled) {
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        reject(new StaleSocketError());
        return;
      }
      finish(new HttpRequestError("unreachable", err.code ?? err.message));
    });
    req.on("response", (res) => {
      const max = opts.maxResponseBytes;
      const declared = Number(res.headers["content-length"] ?? Number.NaN);
      if (declared > max) {
        res.destroy();
        finish(
          new HttpRequestError(
            "too-large",
            `answer of ${declared} bytes is larger than the limit of ${max}`,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      res.on("data", (chunk: Buffer) => {
        total += chunk.length;
        if (total > max) {
          res.destroy();
          finish(
            new HttpRequestError("too-large", `answer is larger than the limit of ${max} bytes`),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () =>
        finish(null, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks, total),
        }),
      );
      res.on("error", (err: NodeJS.ErrnoException) =>
        finish(
          new HttpRequestError(
            "unreachable",
            `the answer was cut off (${err.code ?? err.message})`,
          ),
        ),
      );
      res.on("close", () => {
        if (!res.complete) finish(new HttpRequestError("unreachable", "the answer was cut off"));
      });
    });
    req.end(body);
  });
}
