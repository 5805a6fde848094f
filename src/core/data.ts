import { randomUUID } from "node:crypto";

/** A message of the ledger: the SPEC's Data. */
export interface Data {
  id: string;
  message: string;
}

export const DATA_ID_PATTERN = /^[0-9a-f]{32}$/;
export const DEFAULT_MAX_MESSAGE_BYTES = 16384;

/** A fresh message id: a random UUID v4 without dashes. */
export function newDataId(): string {
  return randomUUID().replaceAll("-", "");
}

/** Why `value` is not a well-formed Data, or null when it is. */
export function dataProblem(
  value: unknown,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "data must be an object";
  }
  const keys = Object.keys(value);
  if (keys.length !== 2 || !keys.includes("id") || !keys.includes("message")) {
    return "data must have exactly the fields id and message";
  }
  const { id, message } = value as Record<string, unknown>;
  if (typeof id !== "string" || !DATA_ID_PATTERN.test(id)) {
    return "data.id must be 32 lowercase hex characters";
  }
  return messageProblem(message, maxMessageBytes);
}

/** Why `message` is not an acceptable message text, or null when it is. */
export function messageProblem(
  message: unknown,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): string | null {
  if (typeof message !== "string") return "message must be a string";
  if (message.length === 0) return "message must not be empty";
  const bytes = Buffer.byteLength(message, "utf8");
  if (bytes > maxMessageBytes) {
    return `message is ${bytes} bytes of UTF-8, more than the limit of ${maxMessageBytes}`;
  }
  return null;
}
