import { isIP } from "node:net";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** What the API trusts in a browser's world (SPEC section 6). */
export interface BrowserGuardOptions {
  /** Origins (`scheme://host[:port]`) allowed to write, beyond the node's own. */
  corsOrigins: readonly string[];
  /** The node's advertised `host:port` (its name is a Host this node answers to). */
  advertised: () => string;
}

/** The methods that change the node's state: /add, POST /blocks, POST /data. */
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * An origin as a browser sends it (`http://host:port`, no path), or throws a
 * TypeError naming the problem (for --cors-origin).
 */
export function normalizeOrigin(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new TypeError(`'${input}' is not an origin such as http://127.0.0.1:8080`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`'${input}' is not an http or https origin`);
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username) {
    throw new TypeError(`'${input}' is not an origin: give scheme://host[:port] alone`);
  }
  return url.origin;
}

/** The host name of a Host header or a `host:port` (lowercase, IPv6 without brackets), or null. */
function hostNameOf(hostPort: string): string | null {
  try {
    const name = new URL(`http://${hostPort}/`).hostname.toLowerCase();
    return name.startsWith("[") ? name.slice(1, -1) : name;
  } catch {
    return null;
  }
}

/**
 * Reads stay open to any origin (the explorer of `blockchain ui` on another
 * port reads any node). Two checks stop a web page from driving the node:
 * - Host: a name other than the node's (its advertised name, a --cors-origin
 *   name), an IP literal or localhost is refused with 421, so a DNS name
 *   rebound to 127.0.0.1 reaches nothing;
 * - Origin: a write that carries one (only browsers send it) is refused with
 *   403 unless it is the node's own origin or listed with --cors-origin.
 *   Peers, the CLI and curl send no Origin and are unaffected.
 */
export function installBrowserGuard(app: FastifyInstance, opts: BrowserGuardOptions): void {
  const allowedOrigins = new Set(opts.corsOrigins.map(normalizeOrigin));
  const allowedNames = new Set(
    [...allowedOrigins].map((origin) => new URL(origin).hostname.replace(/^\[|\]$/g, "")),
  );
  allowedNames.add("localhost");

  const hostAllowed = (host: string | undefined): boolean => {
    // HTTP/1.0 without Host: not a browser.
    if (host === undefined || host === "") return true;
    const name = hostNameOf(host);
    if (name === null) return false;
    if (isIP(name) !== 0 || allowedNames.has(name) || name.endsWith(".localhost")) return true;
    return name === hostNameOf(opts.advertised());
  };

  const originAllowed = (origin: string, host: string | undefined): boolean =>
    allowedOrigins.has(origin) ||
    (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`));

  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const host = request.headers.host;
    if (!hostAllowed(host)) {
      return reply.code(421).send({
        message: `this node does not answer to the host '${host}'; call it by its address, an IP literal or localhost (or list the name with --cors-origin or --advertise)`,
      });
    }
    const origin = request.headers.origin;
    const isWrite = !READ_METHODS.has(request.method);
    const isPreflight =
      request.method === "OPTIONS" &&
      request.headers["access-control-request-method"] !== undefined;
    const asksToWrite =
      isWrite ||
      (isPreflight &&
        !READ_METHODS.has(String(request.headers["access-control-request-method"]).toUpperCase()));
    if (origin === undefined || !asksToWrite) {
      reply.header("access-control-allow-origin", "*");
      return;
    }
    reply.header("vary", "Origin");
    if (!originAllowed(origin, host)) {
      return reply.code(403).send({
        message: `writes from the browser origin '${origin}' are refused; start the node with --cors-origin ${origin} to allow them`,
      });
    }
    reply.header("access-control-allow-origin", origin);
  });
}
