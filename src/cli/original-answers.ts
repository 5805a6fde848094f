import type { Block } from "../core/block.js";
import type { Data } from "../core/data.js";
import type { OriginalBlock } from "../core/original-chain.js";
import { parseJsonPickle } from "../storage/original/jsonpickle.js";
import { originalBlockFrom, originalDataFrom } from "../storage/original/original-objects.js";
import { callNode, NodeRequestError, type NodeTarget } from "./node-client.js";

/**
 * The original Python node's answers nest a jsonpickle string where this node
 * gives JSON: `/chain` as `{"chain": "<jsonpickle list of Block>", "length"}`,
 * `/neighbours` as `{"neighbours": "<jsonpickle set of (host, port)>", "length"}`
 * and `/data` as one string, a jsonpickle set of Data. These functions turn
 * such an answer into this node's shape (blocks with ms timestamps,
 * `host:port` strings, `{id, message}`) and leave this node's answers as they are.
 */
export type ClientResource = "chain" | "neighbours" | "data";

/** An answer of the original's form that does not decode: the message says what is wrong. */
export class OriginalAnswerError extends Error {
  readonly code = "BAD_ORIGINAL_ANSWER";
  constructor(resource: ClientResource, reason: string) {
    super(`the node's /${resource} answer nests jsonpickle that does not decode: ${reason}`);
    this.name = "OriginalAnswerError";
  }
}

/** A decoded answer, and whether it came in the original's form. */
export interface DecodedAnswer {
  answer: unknown;
  original: boolean;
}

/** Decodes an answer of either node into this node's shape. */
export function decodeClientAnswer(resource: ClientResource, answer: unknown): DecodedAnswer {
  const nested = nestedJsonPickle(resource, answer);
  if (nested === null) return { answer, original: false };
  try {
    const value = parseJsonPickle(nested);
    if (!Array.isArray(value)) throw new Error("it is not a list or a set");
    return { answer: reshape(resource, value, answer), original: true };
  } catch (err) {
    throw new OriginalAnswerError(resource, (err as Error).message);
  }
}

/** The jsonpickle string an original's answer nests, or null for this node's answers. */
function nestedJsonPickle(resource: ClientResource, answer: unknown): string | null {
  if (resource === "data") return typeof answer === "string" ? answer : null;
  if (typeof answer !== "object" || answer === null) return null;
  const field = (answer as Record<string, unknown>)[resource];
  return typeof field === "string" ? field : null;
}

function reshape(resource: ClientResource, items: unknown[], answer: unknown): unknown {
  switch (resource) {
    case "chain": {
      const chain = items.map((item) => blockOf(originalBlockFrom(item)));
      return { chain, length: chain.length };
    }
    case "neighbours": {
      const neighbours = items.map(addressOf);
      return { neighbours, length: lengthOf(answer, neighbours.length) };
    }
    case "data":
      return items.map((item): Data => originalDataFrom(item));
  }
}

/** An original block in this node's wire shape: seconds become whole milliseconds. */
function blockOf(block: OriginalBlock): Block {
  return {
    index: block.index,
    timestamp: Math.round(block.timestamp * 1000),
    data: block.data,
    previous_hash: block.previousHash,
    proof: block.proof,
  };
}

/** The original keeps neighbours as (host, port) tuples; written `host:port` here. */
function addressOf(item: unknown): string {
  if (typeof item === "string") return item;
  if (Array.isArray(item) && item.length === 2) {
    const [host, port] = item;
    if (typeof host === "string" && Number.isInteger(port)) return `${host}:${port}`;
  }
  throw new Error(`a neighbour is neither (host, port) nor "host:port": ${JSON.stringify(item)}`);
}

function lengthOf(answer: unknown, fallback: number): number {
  const length = (answer as { length?: unknown }).length;
  return typeof length === "number" ? length : fallback;
}

/** What `add` prints when the node gave no id: the original's /add answers only "Message added!". */
export function addedWithoutId(answer: { message?: unknown }): string {
  const said = typeof answer.message === "string" ? answer.message : "added";
  return `${said} (no id given: the node runs the original Python node)`;
}

/**
 * GET of an endpoint that only this node serves (/status, /data/:id): a 404
 * in the original's words says that the node is the original Python node.
 */
export async function callOwnEndpoint(target: NodeTarget, path: string): Promise<unknown> {
  try {
    return await callNode(target, "GET", path);
  } catch (err) {
    if (!(err instanceof NodeRequestError) || err.status !== 404) throw err;
    if (!/'.*' is not a valid endpoint!/.test(err.message)) throw err;
    throw new NodeRequestError(
      `${err.message} (the node has no ${path.split("?")[0]}: it runs the original Python node, ` +
        "which serves only PUT /add, GET /chain, GET /neighbours and GET /data)",
      404,
    );
  }
}
