import { loadNativeAddon, NATIVE_ENV, nativeTurnedOff } from "../../config/native-addon.js";

/**
 * The addon's writer of this node's own binary records as JSON Lines
 * (native/record-check.c rc_json_lines): a page served to a peer that asks for
 * JSON Lines from a binary chain. It writes the plain records (flags 0, a
 * UTF-8 message) and leaves any other to TypeScript.
 */
export interface NativeTranscode {
  /**
   * Writes the lines of the records of `bytes` from params[pos] on into `out`
   * from params[at] on, and where each starts into `starts` from
   * params[count] on (LINES_PARAMS); writes back pos, at, count and stop,
   * and returns stop (LINES_STOP).
   */
  jsonLinesOf(
    bytes: Uint8Array,
    out: Uint8Array,
    starts: Float64Array,
    params: Float64Array,
  ): number;
}

/** The slots of jsonLinesOf's params (native/record-check-js.c has the same order). */
export const LINES_PARAMS = { pos: 0, at: 1, count: 2, maxBytes: 3, stop: 4, slots: 5 } as const;

/** Why jsonLinesOf stopped: the input's end, the byte bound, or a record it leaves to TypeScript. */
export const LINES_STOP = { end: 0, left: 1, full: 2 } as const;

/** The addon's transcoder, or null where TypeScript writes every line (no addon, or turned off). */
export function nativeTranscode(setting = process.env[NATIVE_ENV]): NativeTranscode | null {
  if (nativeTurnedOff(setting)) return null;
  const loaded = loadNativeAddon();
  if (loaded instanceof Error || typeof loaded.jsonLinesOf !== "function") return null;
  return loaded as unknown as NativeTranscode;
}
