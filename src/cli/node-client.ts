import { DEFAULTS } from "../config/config.js";
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
  host: string;
  port: number;
}

export function nodeUrl({ host, port }: NodeTarget): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
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
  const origin = nodeUrl(target).slice("http://".length);
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(origin, {
      method,
      path,
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
    throw new NodeRequestError(
      `the node answered ${status}: ${escapeControl(String(message))}`,
      status,
    );
  }
  return parsed;
}
