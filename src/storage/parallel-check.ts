import { availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { MAX_DIFFICULTY, ORIGINAL_PROOF_RULE } from "../core/pow.js";
import { isProofRuleName, type ProofRuleName } from "../core/proof-rules.js";
import { type CheckedRecords, checkChainRecords } from "./check/chain-check.js";
import type { RecordCheckOptions } from "./check/record-check.js";
import { indexOfByte, lastIndexOfByte } from "./codecs/byte-search.js";
import type { ChainCodec, ChainFormat } from "./codecs/chain-codec.js";
import { IdIndex } from "./index/id-index.js";
import { nativeChainIndex } from "./index/native-chain-index.js";

const HASH_BYTES = 32;
const ID_BYTES = 16;
/**
 * Below this a file is checked on one thread: a worker costs tens of
 * milliseconds to start, which a small file's check does not repay.
 */
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

/** What a worker checks: a slice [from, to) of the file, after the record at previousStart. */
export interface CheckJob {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  byteLength: number;
  format: ChainFormat;
  previousStart: number;
  from: number;
  to: number;
  opts: Omit<RecordCheckOptions, "rule"> & { rule: ProofRuleName; now: number };
}

/** A worker's verdict on its slice (unusable: the record before it is no block, so an earlier slice fails). */
export type CheckJobResult = { usable: false } | { usable: true; checked: CheckedRecords };

/**
 * checkChainRecords with the file cut into `parts` slices at record
 * boundaries, each after the first checked in a worker thread while this
 * thread checks the first, then joined: the first failing slice's failure
 * stands, and a data id repeated across slices is found over the joined ids
 * (its reason is the one the TypeScript check gives: the record passed every
 * other check first). The same result as checkChainRecords. `bytes` must be
 * in shared memory (a SharedArrayBuffer), else, or when the file is small,
 * the rule is not a named one or no other core is idle, the check runs on
 * this thread.
 */
export async function checkChainRecordsInParallel(
  codec: ChainCodec,
  bytes: Buffer,
  opts: RecordCheckOptions,
  split: { parts?: number; minBytes?: number } = {},
): Promise<CheckedRecords> {
  const parts = split.parts ?? idleCores();
  const rule = (opts.rule ?? ORIGINAL_PROOF_RULE).name;
  const worth =
    parts > 1 &&
    bytes.buffer instanceof SharedArrayBuffer &&
    bytes.length >= (split.minBytes ?? PARALLEL_MIN_BYTES) &&
    isProofRuleName(rule);
  const cuts = worth ? cutPoints(codec, bytes, parts) : [];
  if (cuts.length < 3 || !isProofRuleName(rule)) return checkChainRecords(codec, bytes, opts);
  const jobOpts = { ...opts, rule, now: opts.now ?? Date.now() };
  const workers: Promise<CheckJobResult>[] = [];
  for (let k = 1; k < cuts.length - 1; k++) {
    workers.push(
      runJob({
        buffer: bytes.buffer as SharedArrayBuffer,
        byteOffset: bytes.byteOffset,
        byteLength: bytes.length,
        format: codec.format,
        previousStart: cuts[k]?.previous as number,
        from: cuts[k]?.at as number,
        to: cuts[k + 1]?.at as number,
        opts: jobOpts,
      }),
    );
  }
  const first = checkChainRecords(codec, bytes, { ...opts, now: jobOpts.now }, cuts[1]?.at);
  const rest = await Promise.all(workers);
  return joinSlices(first, rest, opts);
}

/**
 * How many slices pay: one per core that the load average leaves idle (at
 * most 4). A worker on a core another process keeps busy only adds its start
 * to the check (measured: docs/performance.md, "Full validation").
 */
export function idleCores(): number {
  return Math.max(1, Math.min(4, Math.round(availableParallelism() - (loadavg()[0] ?? 0))));
}

/** A cut: where a slice starts, and where the record before it starts. */
interface Cut {
  at: number;
  previous: number;
}

/**
 * `parts` + 1 cut points at record boundaries after genesis (the first the
 * start of genesis, the last the end), evenly by bytes; fewer when the file
 * is too small or its framing is not clean (its check then runs whole).
 */
function cutPoints(codec: ChainCodec, bytes: Buffer, parts: number): Cut[] {
  const first = codec.header.length;
  const genesisEnd = codec.recordEnd(bytes, first);
  if (typeof genesisEnd === "string") return [];
  const cuts: Cut[] = [{ at: first, previous: -1 }];
  const size = bytes.length - genesisEnd;
  if (codec.format === "json") {
    for (let k = 1; k < parts; k++) {
      const near = indexOfByte(bytes, NEWLINE, genesisEnd + Math.floor((size * k) / parts));
      if (near < 0 || near + 1 >= bytes.length) break;
      const previous = lastIndexOfByte(bytes, NEWLINE, near - 1) + 1;
      if (near + 1 > (cuts[cuts.length - 1] as Cut).at) cuts.push({ at: near + 1, previous });
    }
  } else {
    // Binary records are found only by walking the length fields from the start.
    let k = 1;
    let previous = first;
    for (let at = genesisEnd; at < bytes.length && k < parts; ) {
      if (at >= genesisEnd + (size * k) / parts) {
        cuts.push({ at, previous });
        k++;
      }
      if (bytes.length - at < 8) return [];
      previous = at;
      at += 12 + bytes.readUInt32LE(at);
    }
  }
  cuts.push({ at: bytes.length, previous: -1 });
  return cuts;
}

function runJob(job: CheckJob): Promise<CheckJobResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("../storage/check-worker.js", import.meta.url), {
      workerData: job,
      execArgv: [],
    });
    let result: CheckJobResult | null = null;
    worker.once("message", (message: CheckJobResult) => {
      result = message;
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (result) resolve(revived(result));
      else reject(new Error(`a record check worker exited with code ${code} and no verdict`));
    });
  });
}

/** The worker's verdict with its byte arrays as Buffers again (they arrive as Uint8Arrays). */
function revived(result: CheckJobResult): CheckJobResult {
  if (!result.usable) return result;
  const { hashes, ids } = result.checked;
  return {
    usable: true,
    checked: {
      ...result.checked,
      hashes: Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength),
      ids: Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength),
    },
  };
}

/** The slices' verdicts as one, as checkChainRecords gives it over the whole file. */
function joinSlices(
  first: CheckedRecords,
  rest: CheckJobResult[],
  opts: RecordCheckOptions,
): CheckedRecords {
  const slices: CheckedRecords[] = [first];
  for (const result of rest) {
    if ((slices[slices.length - 1] as CheckedRecords).failure !== null) break;
    // An unusable slice follows a failing one (its first record is no block), so it is never reached.
    if (!result.usable) throw new Error("a slice after a sound one could not be checked");
    slices.push(result.checked);
  }
  let count = slices.reduce((n, s) => n + s.count, 0);
  const starts = new Float64Array(count);
  const hashes = Buffer.allocUnsafe(count * HASH_BYTES);
  const ids = Buffer.allocUnsafe(count * ID_BYTES);
  let at = 0;
  for (const slice of slices) {
    starts.set(slice.starts.subarray(0, slice.count), at);
    slice.hashes.copy(hashes, at * HASH_BYTES, 0, slice.count * HASH_BYTES);
    slice.ids.copy(ids, at * ID_BYTES, 0, slice.count * ID_BYTES);
    at += slice.count;
  }
  let failure = (slices[slices.length - 1] as CheckedRecords).failure;
  const repeated = IdIndex.fromIds(ids, count, nativeChainIndex()).duplicate;
  if (repeated >= 0) {
    const id = ids.toString("hex", repeated * ID_BYTES, (repeated + 1) * ID_BYTES);
    failure = { index: repeated, reason: `data id ${id} already appears in an earlier block` };
    count = repeated;
  }
  const notCanonical = slices.map((s) => s.notCanonical).find((i) => i >= 0 && i < count) ?? -1;
  const leastZeros = Math.min(...slices.map((s) => s.leastZeros ?? MAX_DIFFICULTY));
  return {
    count,
    starts: starts.subarray(0, count),
    hashes: hashes.subarray(0, count * HASH_BYTES),
    ids: ids.subarray(0, count * ID_BYTES),
    failure,
    notCanonical,
    ...(opts.measureWork ? { leastZeros } : {}),
  };
}
