import { DEFAULTS } from "../config/config.js";
import { type HttpAnswer, HttpRequestError, httpRequest } from "../net/http-client.js";
import {
  bearerHeader,
  endpointOrigin,
  endpointUrl,
  type NodeEndpoint,
  parseNodeEndpoint,
  readTlsCa,
  tokenForNode,
} from "../net/node-endpoint.js";
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
function locate(target: NodeTarget): NodeEndpoint {
  try {
    return parseNodeEndpoint(target.host, target.port);
  } catch (err) {
    throw new NodeRequestError((err as Error).message);
  }
}

export function nodeUrl(target: NodeTarget): string {
  return endpointUrl(locate(target));
}

function caOf(path: string): Buffer {
  try {
    return readTlsCa(path);
  } catch (err) {
    throw new NodeRequestError((err as Error).message);
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
  const origin = endpointOrigin(where);
  const token = tokenForNode(target, where.host, where.port);
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(origin, {
      method,
      path,
      headers: bearerHeader(token),
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
