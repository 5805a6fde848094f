import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import { DEFAULTS } from "../config/config.js";
import { BadInputError } from "../config/errors.js";
import { type AccessOptions, installAccessGate } from "./access-gate.js";
import type { ApiMetrics } from "./api-metrics.js";
import { installBrowserGuard } from "./browser-guard.js";
import { guardConnections } from "./connection-guard.js";
import { installErrorHandlers } from "./errors.js";
import { registerExplorer } from "./explorer.js";
import { lazyValidatorFactory } from "./lazy-validators.js";
import type { NodeApi } from "./node-api.js";
import { registerOpenApi } from "./openapi.js";
import { registerDevnetRoutes } from "./routes/devnet-routes.js";
import { registerEventRoutes } from "./routes/events.js";
import { callerOf, registerNodeRoutes } from "./routes/node-routes.js";
import { registerOriginalRoutes } from "./routes/original.js";
import { registerWatchRoutes } from "./routes/watch-routes.js";
import { SHARED_SCHEMAS } from "./schemas.js";

export interface ServerOptions {
  port: number;
  host?: string;
  logger?: Logger;
  bodyLimit?: number;
  /**
   * Largest request line and headers, in bytes (Node's default: 16 KiB). A node sets it from
   * its message limit with headerBytesFor, so that PUT /add?message= takes any message it may.
   */
  maxHeaderBytes?: number;
  /** Request durations and event-stream clients are recorded here when given. */
  metrics?: ApiMetrics;
  /** Most connections at once (default DEFAULTS.maxConnections); idle ones make room for new ones. */
  maxConnections?: number;
  /** Time for a client to send its whole request (default DEFAULTS.requestTimeoutMs). */
  requestTimeoutMs?: number;
  /** Time after which a connection on which nothing moves is closed (default DEFAULTS.stalledConnectionMs). */
  stalledConnectionMs?: number;
  /** Browser origins allowed to write (--cors-origin), beyond the node's own. */
  corsOrigins?: readonly string[];
  /** A devnet's token: POST /devnet/partition is served only with one (see devnet-routes). */
  devnetToken?: string;
  /** A private network's checks (network key, writer tokens, private reads); none: open. */
  access?: AccessOptions;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: Buffer; key: Buffer };
}

/**
 * A request the HTTP parser refuses (headers or URL too large, malformed, not sent in time):
 * a JSON answer, as fastify's default gives, that also says `Connection: close`, since the
 * socket is closed right after. Without it a keep-alive client may send its next request on
 * the closing socket and see it fail ("other side closed"), not knowing whether it was served.
 */
function closeOnClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, message] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Exceeded maximum allowed HTTP header size"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Client Timeout"]
        : [400, "Client Error"];
  const body = JSON.stringify({ error: STATUS_CODES[status], message, statusCode: status });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * Every answered request into http_request_duration_seconds, by route pattern
 * (`/blocks/:index`, so that the label set stays small; `unmatched` for a 404
 * of an unknown path), method and status. Event streams are hijacked, so they
 * are not counted: their duration is the client's stay, not an answer time.
 */
function recordDurations(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook("onResponse", async (request, reply) => {
    metrics.httpRequestDuration.observe(
      {
        route: request.routeOptions.url ?? "unmatched",
        method: request.method,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}

/** Node's own limit on a request's line and headers, kept for everything but the message. */
const DEFAULT_HEADER_BYTES = 16 * 1024;

/**
 * The header limit that lets `PUT /add?message=` carry a message of `maxMessageBytes`
 * bytes of UTF-8 however it is percent-encoded: each byte is at most `%XX` (3 bytes),
 * plus the room Node gives the other headers by default.
 */
export function headerBytesFor(maxMessageBytes: number): number {
  return 3 * maxMessageBytes + DEFAULT_HEADER_BYTES;
}

/** Builds the HTTP API of a node (not yet listening). */
export async function buildServer(
  node: NodeApi,
  opts: Omit<ServerOptions, "port"> = {},
): Promise<FastifyInstance> {
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? DEFAULTS.maxBodyBytes,
    forceCloseConnections: true,
    // A client must send its whole request within this time, a new idle connection too
    // (event streams are unaffected: they only receive).
    requestTimeout,
    // Node checks the time-outs above on a timer (30 s by default, which let them run to
    // nearly twice their value); each second keeps them close to what the README says.
    http: {
      connectionsCheckingInterval: 1_000,
      headersTimeout: requestTimeout,
      maxHeaderSize: opts.maxHeaderBytes ?? DEFAULT_HEADER_BYTES,
    },
    keepAliveTimeout: DEFAULTS.keepAliveTimeoutMs,
    // Nothing moving on a connection (a client that does not read its answer): closed.
    connectionTimeout: opts.stalledConnectionMs ?? DEFAULTS.stalledConnectionMs,
    clientErrorHandler: closeOnClientError,
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
    ajv: { customOptions: { coerceTypes: "array", removeAdditional: false } },
    schemaController: { compilersFactory: { buildValidator: lazyValidatorFactory() } },
  }) as unknown as FastifyInstance;
  guardConnections(app.server, { maxConnections: opts.maxConnections ?? DEFAULTS.maxConnections });
  // Response schemas document the API; answers are written with plain JSON.stringify.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  // An empty JSON body is no body (a PUT /add?message= sent with a JSON content type is fine).
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    // Kept for the network key's check: a peer's proof covers the body's exact bytes.
    (request as typeof request & { rawBody?: string }).rawBody = body as string;
    if (body === "") return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(new BadInputError(`the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
  installErrorHandlers(app);
  if (opts.metrics) recordDurations(app, opts.metrics);
  installBrowserGuard(app, {
    corsOrigins: opts.corsOrigins ?? [],
    advertised: () => node.status().address,
  });
  // Before the caller is noted: a node split off by the devnet must not be learnt either.
  if (opts.devnetToken) registerDevnetRoutes(app, node, opts.devnetToken);
  // Before the caller is noted: a peer that cannot prove the network key is never learnt.
  if (opts.access) installAccessGate(app, opts.access);
  app.addHook("onRequest", async (request) => {
    const caller = callerOf(request);
    if (caller.address) {
      try {
        node.noteCaller(caller);
      } catch {
        // A caller's bad address is its problem; the request itself is still served.
      }
    }
  });
  app.options("*", { schema: { hide: true } }, async (_request, reply) =>
    reply
      .code(204)
      .header("access-control-allow-methods", "GET, PUT, POST, OPTIONS")
      .header(
        "access-control-allow-headers",
        "content-type, authorization, x-blockchain-node, x-blockchain-node-id",
      )
      .send(),
  );
  await registerOpenApi(app, () => node.status().address);
  registerOriginalRoutes(app, node);
  registerNodeRoutes(app, node);
  registerWatchRoutes(app, node);
  registerEventRoutes(app, node, opts.metrics);
  registerExplorer(app);
  return app;
}

/** Serves the HTTP API of a node on `port` (the SPEC's startServer); resolves once it listens. */
export async function startServer(
  node: NodeApi,
  portOrOptions: number | ServerOptions,
): Promise<FastifyInstance> {
  const opts = typeof portOrOptions === "number" ? { port: portOrOptions } : portOrOptions;
  return listenServer(await buildServer(node, opts), opts.port, opts.host);
}

/** Makes a built server listen on `port` (and `host`); closes it and throws a ListenError if it cannot. */
export async function listenServer(
  app: FastifyInstance,
  port: number,
  host: string = DEFAULTS.host,
): Promise<FastifyInstance> {
  try {
    await app.listen({ port, host });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw new ListenError(host, port, err as NodeJS.ErrnoException);
  }
  return app;
}

/** The server could not listen: the address and the cause, in words. */
export class ListenError extends Error {
  readonly code = "LISTEN_FAILED";
  constructor(
    readonly host: string,
    readonly port: number,
    cause: NodeJS.ErrnoException,
  ) {
    const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const why: Record<string, string> = {
      EADDRINUSE: "the port is in use (another node, or another program?)",
      EADDRNOTAVAIL: "this machine has no such address",
      EACCES: "permission denied (ports below 1024 need privileges)",
      ENOTFOUND: "the host name does not resolve",
      EAI_AGAIN: "the host name does not resolve (temporary failure)",
      EINVAL: "not an address this machine can listen on",
    };
    super(`cannot listen on ${where}: ${why[cause.code ?? ""] ?? cause.code ?? cause.message}`, {
      cause,
    });
    this.name = "ListenError";
  }
}
