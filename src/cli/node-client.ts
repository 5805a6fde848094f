import { DEFAULTS } from "../config/config.js";

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

/** Calls a node's API and returns the parsed JSON; errors say what went wrong in words. */
export async function callNode(
  target: NodeTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = `${nodeUrl(target)}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(DEFAULTS.peerRequestTimeoutMs * 2),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new NodeRequestError(
      `cannot reach the node at ${nodeUrl(target)} (${why}); is it running? Start one with \`blockchain miner start <chain_path>\``,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new NodeRequestError(
      `the node at ${nodeUrl(target)} answered ${response.status} with a body that is not JSON`,
      response.status,
    );
  }
  if (!response.ok) {
    const message = (parsed as { message?: string }).message ?? `status ${response.status}`;
    throw new NodeRequestError(`the node answered ${response.status}: ${message}`, response.status);
  }
  return parsed;
}
