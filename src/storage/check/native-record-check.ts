import { loadNativeAddon, NATIVE_ENV, nativeTurnedOff } from "../../config/native-addon.js";

/** The addon's record check (native/record-check.c), on one engine. */
export interface NativeRecordCheck {
  /**
   * Checks records of `bytes` from params[pos] on, every rule but the
   * uniqueness of ids (RECORD_PARAMS says what each slot of `params` holds);
   * writes each accepted record's start, hash and id from params[at] on, and
   * writes back where it stopped, the new `at`, the new parent and the least
   * zeros. Returns how many it accepted.
   */
  checkRecords(
    bytes: Uint8Array,
    parentHash: Uint8Array,
    starts: Float64Array,
    hashes: Uint8Array,
    ids: Uint8Array,
    params: Float64Array,
  ): number;
  /** Which SHA-256 it hashes with: the CPU's SHA extensions or portable C. */
  readonly engine: "sha-ni" | "portable";
}

/** The slots of checkRecords' params (native/record-check-js.c has the same order). */
export const RECORD_PARAMS = {
  json: 0,
  contentRule: 1,
  difficulty: 2,
  /** The validator's clock + 2 h. */
  latestTimestamp: 3,
  maxMessageBytes: 4,
  parentIndex: 5,
  parentTimestamp: 6,
  /** -1 for null. */
  parentProof: 7,
  at: 8,
  capacity: 9,
  pos: 10,
  /** The fewest trailing zero hex digits of any accepted record's proof digest (start at 64). */
  leastZeros: 11,
  count: 12,
} as const;

/** The addon's exports: checkRecords as above, with the engine named last. */
interface RecordCheckExports {
  readonly engine: NativeRecordCheck["engine"];
  checkRecords(...args: [...Parameters<NativeRecordCheck["checkRecords"]>, engine: string]): number;
}

/**
 * The addon's record check for a BLOCKCHAIN_NATIVE value ("portable": the
 * portable C engine, else the fastest the CPU runs), or null where the
 * TypeScript check runs: the addon is not built or lacks it, or it is turned off.
 */
export function nativeRecordCheck(setting = process.env[NATIVE_ENV]): NativeRecordCheck | null {
  if (nativeTurnedOff(setting)) return null;
  const loaded = loadNativeAddon();
  if (loaded instanceof Error || typeof loaded.checkRecords !== "function") return null;
  const addon = loaded as unknown as RecordCheckExports;
  const engine = (setting ?? "").trim().toLowerCase() === "portable" ? "portable" : addon.engine;
  return {
    engine,
    checkRecords: (bytes, parentHash, starts, hashes, ids, params) =>
      addon.checkRecords(bytes, parentHash, starts, hashes, ids, params, engine),
  };
}
