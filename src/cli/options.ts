import { InvalidArgumentError } from "commander";
import { normalizeOrigin } from "../api/browser-guard.js";
import { normalizeAddress } from "../net/address.js";
import { parseNeighbour } from "../net/neighbour-forms.js";

/** A commander parser for an integer within [min, max]; the error names the bad value. */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** A commander parser for a positive number of seconds (fractions allowed). */
export function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError("must be a positive number of seconds.");
  }
  return n;
}

/**
 * Rewrites the original's snake_case flags (`--chain_serialization`) to the
 * kebab-case ones (`--chain-serialization`), only where the kebab form is a known flag.
 */
export function kebabAliases(argv: string[], known: Set<string>): string[] {
  return argv.map((arg) => {
    if (!arg.startsWith("--") || !arg.includes("_")) return arg;
    const [name = "", ...rest] = arg.split("=");
    const kebab = name.replaceAll("_", "-");
    if (!known.has(kebab)) return arg;
    return rest.length > 0 ? `${kebab}=${rest.join("=")}` : kebab;
  });
}

/** A commander parser for one `host:port` address; the error says what is wrong with it. */
export function hostPort(value: string): string {
  try {
    return normalizeAddress(value);
  } catch (err) {
    throw new InvalidArgumentError(
      `'${value}' is not a host:port address (${(err as Error).message}).`,
    );
  }
}

/**
 * A commander parser for a comma-separated list of neighbours, in the forms
 * the original accepted too (a host alone, `http://host:port`, `0.0.0.0:port`).
 */
export function hostPortList(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      try {
        return parseNeighbour(part);
      } catch (err) {
        throw new InvalidArgumentError(
          `'${part}' is not a neighbour address (${(err as Error).message}).`,
        );
      }
    });
}

/** The help of --proof-rule, the same on every command that takes it. */
export const PROOF_RULE_HELP =
  "proof-of-work rule: 'original' (sha256 of previous proof + proof) or 'content' (each block's own hash); a network uses one";
/** A commander parser for a comma-separated list of browser origins (`http://host:port`). */
export function originList(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((origin) => {
      try {
        return normalizeOrigin(origin);
      } catch (err) {
        throw new InvalidArgumentError(`${(err as Error).message}.`);
      }
    });
}
