import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { COOKIE_FILE, cookieTokenFor } from "../config/secret-files.js";

/**
 * How a client (the CLI's commands, the network view's watcher) reaches a
 * node of a private network (SPEC section 10): `https://host:port` for a node
 * with TLS, the group's CA its certificate must chain to, and a writer's
 * token sent as `Authorization: Bearer`. One place, so that both clients
 * read addresses, CAs and tokens alike.
 */

/** Where a node is: scheme, host (IPv6 without brackets) and port. */
export interface NodeEndpoint {
  https: boolean;
  host: string;
  port: number;
}

/** A host, or a URL (`http(s)://host:port`, whose port wins over `defaultPort`). Throws a TypeError naming the input. */
export function parseNodeEndpoint(text: string, defaultPort: number): NodeEndpoint {
  const scheme = /^(https?):\/\//i.exec(text);
  if (!scheme) return { https: false, host: text, port: defaultPort };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`'${text}' is not a node address (expected https://host:port)`);
  }
  return {
    https: scheme[1]?.toLowerCase() === "https",
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port === "" ? defaultPort : Number(url.port),
  };
}

/** `host:port`, an IPv6 host in brackets (what node:http's URL wants). */
export function endpointOrigin(endpoint: NodeEndpoint): string {
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

export function endpointUrl(endpoint: NodeEndpoint): string {
  return `${endpoint.https ? "https" : "http"}://${endpointOrigin(endpoint)}`;
}

/** Reads the group's CA (--tls-ca); the error names the file and why. */
export function readTlsCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(
      `cannot read the TLS CA ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** Where a client's token comes from: --token (or BLOCKCHAIN_TOKEN), or a cookie file (--cookie). */
export interface TokenSource {
  token?: string;
  cookie?: string;
}

/**
 * The token to send to the node at `host:port`: the one given; else, for a
 * node on this machine, the cookie it wrote beside its chain (as bitcoin-cli
 * reads bitcoind's .cookie): --cookie, BLOCKCHAIN_COOKIE,
 * ./.blockchain/.cookie, ~/.blockchain/.cookie, the first written by the node
 * at that port. Undefined: send none.
 */
export function tokenForNode(source: TokenSource, host: string, port: number): string | undefined {
  if (source.token) return source.token;
  if (source.cookie) return cookieTokenFor(source.cookie, port) ?? undefined;
  if (!LOOPBACK.has(host)) return undefined;
  const candidates = [
    process.env.BLOCKCHAIN_COOKIE,
    join(".blockchain", COOKIE_FILE),
    join(homedir(), ".blockchain", COOKIE_FILE),
  ];
  for (const path of candidates) {
    const token = path ? cookieTokenFor(path, port) : null;
    if (token) return token;
  }
  return undefined;
}

/** The header that carries a token, or none. */
export function bearerHeader(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
