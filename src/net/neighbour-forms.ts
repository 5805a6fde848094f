import { normalizeAddress } from "./address.js";

/** The original's port, taken when a neighbour is given as a host alone. */
export const ORIGINAL_DEFAULT_PORT = 12345;

/**
 * A neighbour as a user may write it, in the forms the original accepted
 * (SPEC section 4): `host:port`, a host alone (port 12345), an `http://`
 * prefix (stripped, with a trailing slash), `0.0.0.0:port` (this machine:
 * 127.0.0.1). Returns the canonical `host:port`; throws an AddressError.
 */
export function parseNeighbour(input: string): string {
  if (typeof input !== "string") return normalizeAddress(input);
  let text = input.trim();
  // https:// is how a TLS group writes its members (SPEC section 10); a node with TLS
  // calls every peer over HTTPS, so the scheme is not kept with the address.
  const scheme = /^https?:\/\//i.exec(text);
  if (scheme) text = text.slice(scheme[0].length).replace(/\/$/, "");
  if (!hasPort(text)) text = `${text}:${ORIGINAL_DEFAULT_PORT}`;
  const address = normalizeAddress(text);
  // 0.0.0.0 is where a node listens on every interface; to reach it, this machine is meant.
  return address.startsWith("0.0.0.0:") ? `127.0.0.1:${address.slice("0.0.0.0:".length)}` : address;
}

function hasPort(text: string): boolean {
  if (text.startsWith("[")) return /\]:[^:]*$/.test(text);
  // A bare IPv6 address has several colons; normalizeAddress says it must be bracketed.
  return text.includes(":");
}
