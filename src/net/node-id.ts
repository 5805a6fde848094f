import { randomBytes } from "node:crypto";

/** The header a node sends with its own id on every request to a peer. */
export const NODE_ID_HEADER = "x-blockchain-node-id";

/** A node id as sent: lowercase hex, 16 to 64 digits. */
const NODE_ID = /^[0-9a-f]{16,64}$/;

/**
 * A fresh random node id (128 bits, hex). It is not a secret and not a proof:
 * it lets a node recognise itself and its neighbours behind any address
 * (0.0.0.0:P, [::ffff:127.0.0.1]:P, a DNS name), where strings cannot.
 */
export function newNodeId(): string {
  return randomBytes(16).toString("hex");
}

/** The id a header or a status claims, or null when absent or not an id. */
export function parseNodeId(value: unknown): string | null {
  return typeof value === "string" && NODE_ID.test(value) ? value : null;
}
