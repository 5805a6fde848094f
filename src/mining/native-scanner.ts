import { loadNativeAddon, NATIVE_ENV, nativeTurnedOff } from "../config/native-addon.js";

/**
 * The native mining core (native/scanner.c, in the addon that
 * config/native-addon.ts loads). It is optional: where it was not built or
 * does not load, mining runs on the TypeScript scanner. BLOCKCHAIN_NATIVE
 * chooses: unset or "1" the fastest engine the CPU runs, "portable" the
 * portable C engine, "0" the TypeScript scanner.
 */

/** Which code mines: the addon with SHA-NI, the addon's portable C, or TypeScript. */
export type MinerEngine = "native-sha-ni" | "native-portable" | "js";

export { NATIVE_ENV };

/** What the addon exports (native/addon.c). */
interface NativeAddon {
  readonly engine: "sha-ni" | "portable";
  scan(
    prefix: Uint8Array,
    suffix: Uint8Array,
    start: number,
    count: number,
    difficulty: number,
    engine?: string,
  ): { found: number; hashes: number };
  digest(prefix: Uint8Array, suffix: Uint8Array, nonce: number, engine?: string): Buffer;
}

/** One engine of the addon, ready to call from any thread. */
export interface NativeScanner {
  readonly engine: Exclude<MinerEngine, "js">;
  /**
   * The smallest valid nonce in [start, start + count) for the candidate
   * prefix + decimal(nonce) + suffix, or -1; and how many candidates it hashed.
   */
  scan(
    prefix: Uint8Array,
    suffix: Uint8Array,
    start: number,
    count: number,
    difficulty: number,
  ): { found: number; hashes: number };
  /** SHA-256 of one candidate, by this engine (for tests). */
  digest(prefix: Uint8Array, suffix: Uint8Array, nonce: number): Buffer;
}

/** The outcome of loading: the scanner, or null and why the TypeScript scanner mines. */
export interface NativeChoice {
  scanner: NativeScanner | null;
  engine: MinerEngine;
  /** A sentence for the start-up log. */
  reason: string;
}

/** The addon's mining exports, or an Error saying why it cannot mine. */
function loadAddon(): NativeAddon | Error {
  const native = loadNativeAddon();
  if (native instanceof Error) return native;
  if (typeof native.scan !== "function") return new Error("the addon has no scan function");
  return native as unknown as NativeAddon;
}

function scannerFor(native: NativeAddon, engine: "sha-ni" | "portable"): NativeScanner {
  return {
    engine: `native-${engine}`,
    scan: (prefix, suffix, start, count, difficulty) =>
      native.scan(prefix, suffix, start, count, difficulty, engine),
    digest: (prefix, suffix, nonce) => native.digest(prefix, suffix, nonce, engine),
  };
}

/**
 * Picks the engine from `setting` (the BLOCKCHAIN_NATIVE value): "0" forces
 * TypeScript, "portable" the portable C path, anything else the fastest one
 * the CPU runs. Falls back to TypeScript, saying why, when the addon does not load.
 */
export function loadNativeScanner(setting = process.env[NATIVE_ENV]): NativeChoice {
  const wanted = (setting ?? "").trim().toLowerCase();
  if (nativeTurnedOff(wanted)) {
    return { scanner: null, engine: "js", reason: `${NATIVE_ENV}=${setting} forces it` };
  }
  const native = loadAddon();
  if (native instanceof Error) {
    return {
      scanner: null,
      engine: "js",
      reason: `the native core did not load: ${native.message}`,
    };
  }
  if (wanted === "portable") {
    return {
      scanner: scannerFor(native, "portable"),
      engine: "native-portable",
      reason: `${NATIVE_ENV}=${setting} forces it`,
    };
  }
  const scanner = scannerFor(native, native.engine);
  const reason =
    native.engine === "sha-ni" ? "the CPU has SHA extensions" : "the CPU has no SHA extensions";
  const ignored =
    wanted === "" || wanted === "1" ? "" : ` (${NATIVE_ENV}=${setting} is not 0, 1 or portable)`;
  return { scanner, engine: scanner.engine, reason: reason + ignored };
}
