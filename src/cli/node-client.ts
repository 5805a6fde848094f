import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DEFAULTS } from "../config/config.js";
import { COOKIE_FILE, cookieTokenFor } from "../config/secret-files.js";
import { type HttpAnswer, HttpRequestError, httpRequest } from "../net/http-client.js";
import { escapeControl } from "./terminal-text.js";

/** The node could not be reached, or answered with an error. */
export class NodeRequestError extends Error {
  readonly code = "NODE_REQUEST";
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "NodeRequestError";
  }
}

export interface NodeTarget {
  /** A host, or a URL (`https://host:port`: HTTPS, and its port wins over `port`). */
  host: string;
  port: number;
  /** A writer's token (--token, BLOCKCHAIN_TOKEN), sent as `Authorization: Bearer`. */
  token?: string;
  /** The group's CA (--tls-ca) that an https:// node's certificate must chain to. */
  tlsCa?: string;
  /** A cookie file to take the token from (--cookie, BLOCKCHAIN_COOKIE). */
  cookie?: string;
}

/** Where a target is: scheme, host (IPv6 without brackets) and port. */
function locate(target: NodeTarget): { https: boolean; host: string; port: number } {
  const scheme = /^(https?):\/\//i.exec(target.host);
  if (!scheme) return { https: false, host: target.host, port: target.port };
  let url: URL;
  try {
    url = new URL(target.host);
  } catch {
    throw new NodeRequestError(
      `'${target.host}' is not a node address (expected https://host:port)`,
    );
  }
  return {
    https: scheme[1]?.toLowerCase() === "https",
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port === "" ? target.port : Number(url.port),
  };
}

export function nodeUrl(target: NodeTarget): string {
  const { https, host, port } = locate(target);
  return `${https ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * The token to send: --token (or BLOCKCHAIN_TOKEN); else, for a node on this
 * machine, the cookie it wrote beside its chain (as bitcoin-cli reads
 * bitcoind's .cookie): --cookie, BLOCKCHAIN_COOKIE, ./.blockchain/.cookie,
 * ~/.blockchain/.cookie, the first written by the node at that port.
 */
function tokenFor(target: NodeTarget, host: string, port: number): string | undefined {
  if (target.token) return target.token;
  if (target.cookie) return cookieTokenFor(target.cookie, port) ?? undefined;
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

function caOf(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new NodeRequestError(
      `cannot read the TLS CA ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Longest answer the CLI reads (a whole chain of a million blocks fits). */
const MAX_ANSWER_BYTES = 1024 * 1024 * 1024;

/** Calls a node's API and returns the parsed JSON; errors say what went wrong in words. */
export async function callNode(
  target: NodeTarget,
  method: "GET" | "POST" | "PUT",
  path: string,
  body?: unknown,
): Promise<unknown> {
  const where = locate(target);
  const origin = `${where.host.includes(":") ? `[${where.host}]` : where.host}:${where.port}`;
  const token = tokenFor(target, where.host, where.port);
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(origin, {
      method,
      path,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      ...(where.https ? { tls: target.tlsCa ? { ca: caOf(target.tlsCa) } : {} } : {}),
      ...(body === undefined ? {} : { json: JSON.stringify(body) }),
      timeoutMs: DEFAULTS.peerRequestTimeoutMs * 2,
      maxResponseBytes: MAX_ANSWER_BYTES,
    });
  } catch (err) {
    if (!(err instanceof HttpRequestError)) throw err;
    throw new NodeRequestError(
      `cannot reach the node at ${nodeUrl(target)} (${err.detail}); is it running? Start one with \`blockchain miner start <chain_path>\``,
    );
  }
  const status = answer.status;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body.toString("utf8"));
  } catch {
    throw new NodeRequestError(
      `the node at ${nodeUrl(target)} answered ${status} with a body that is not JSON`,
      status,
    );
  }
  if (status < 200 || status > 299) {
    const message = (parsed as { message?: string } | null)?.message ?? `status ${status}`;
    const hint =
      status === 401 && !token ? " (give a writer's token with --token or BLOCKCHAIN_TOKEN)" : "";
    throw new NodeRequestError(
      `the node answered ${status}: ${escapeControl(String(message))}${hint}`,
      status,
    );
  }
  return parsed;
}
