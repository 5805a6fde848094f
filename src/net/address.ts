import { isIPv4, isIPv6 } from "node:net";

/** A neighbour address that is not a usable `host:port`, with the reason. */
export class AddressError extends TypeError {
  readonly code = "BAD_ADDRESS";
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`'${input}' is not a host:port address: ${reason}`);
    this.name = "AddressError";
  }
}

const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const PORT = /^[0-9]{1,5}$/;
const MAX_ADDRESS_CHARS = 300;

/**
 * The canonical `host:port` of a neighbour: IPv4 as is, IPv6 bracketed and
 * compressed, DNS names lowercased, `localhost` written `127.0.0.1`.
 * Throws an AddressError that says what is wrong with anything else.
 */
export function normalizeAddress(input: string): string {
  if (typeof input !== "string") throw new AddressError(String(input), "not a string");
  const text = input.trim();
  if (text === "") throw new AddressError(input, "empty");
  if (text.length > MAX_ADDRESS_CHARS) throw new AddressError(input.slice(0, 40), "too long");
  if (text.includes("://") || text.includes("/")) {
    throw new AddressError(input, "give host:port without a scheme or a path");
  }
  const { host, port } = text.startsWith("[")
    ? splitBracketed(input, text)
    : splitPlain(input, text);
  return `${normalizeHost(input, host)}:${normalizePort(input, port)}`;
}

/** Whether `input` is a usable address (for filtering peers' lists without throwing). */
export function tryNormalizeAddress(input: unknown): string | null {
  if (typeof input !== "string") return null;
  try {
    return normalizeAddress(input);
  } catch {
    return null;
  }
}

function splitBracketed(input: string, text: string): { host: string; port: string } {
  const close = text.indexOf("]");
  if (close < 0) throw new AddressError(input, "unclosed '[' of an IPv6 address");
  if (text[close + 1] !== ":")
    throw new AddressError(input, "missing :port after the IPv6 address");
  const host = text.slice(1, close);
  if (!isIPv6(host)) throw new AddressError(input, `'${host}' is not an IPv6 address`);
  return { host: `[${host}]`, port: text.slice(close + 2) };
}

function splitPlain(input: string, text: string): { host: string; port: string } {
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw new AddressError(input, "missing :port");
  const host = text.slice(0, colon);
  if (host.includes(":"))
    throw new AddressError(input, "an IPv6 address must be bracketed, as [::1]:port");
  return { host, port: text.slice(colon + 1) };
}

function normalizeHost(input: string, host: string): string {
  if (host.startsWith("[")) {
    // The URL parser writes IPv6 in its compressed, lowercase form, so equal addresses compare equal.
    return new URL(`http://${host}/`).hostname;
  }
  const lower = host.toLowerCase();
  if (lower === "localhost") return "127.0.0.1";
  if (isIPv4(lower)) return lower;
  const name = lower.endsWith(".") ? lower.slice(0, -1) : lower;
  if (name === "") throw new AddressError(input, "missing host");
  if (name.length > 253) throw new AddressError(input, "host name longer than 253 characters");
  const labels = name.split(".");
  if (!labels.every((label) => DNS_LABEL.test(label))) {
    throw new AddressError(input, `'${host}' is neither an IP address nor a DNS name`);
  }
  // A name whose last label is all digits would be a malformed IPv4 address (127.1, 300.0.0.1).
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) {
    throw new AddressError(input, `'${host}' is not a valid IPv4 address`);
  }
  return name;
}

function normalizePort(input: string, port: string): number {
  if (!PORT.test(port)) throw new AddressError(input, `port '${port}' is not a number`);
  const value = Number(port);
  if (value < 1 || value > 65535)
    throw new AddressError(input, `port ${value} is not from 1 to 65535`);
  return value;
}
