import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { digestMeetsDifficulty, type ProofSearchInput } from "../core/pow.js";
import { loadNativeScanner, type NativeScanner } from "./native-scanner.js";
import { type ProofScan, type ScanResult, scanProofs } from "./proof-scanner.js";
import type {
  ProofWorkerData,
  ScanProgress,
  ScanReply,
  ScanRequest,
} from "./proof-worker-protocol.js";

/*
 * A proof search thread: scans the chunks the pool sends, one at a time, and
 * answers each with one message. A chunk is scanned in slices of about
 * SLICE_MS, so that between two slices the worker notices a search that ended
 * (the tip changed) and reports its hashes at least every REPORT_MS. Between
 * chunks it waits on its message port, so an idle worker uses no CPU.
 */

/** Work per slice: short enough to leave an abandoned search at once. */
const SLICE_MS = 10;
/** Progress reports this often, so that the hash counter moves during a long search. */
const REPORT_MS = 100;
const MIN_SLICE = 1024;
const MAX_SLICE = 1 << 22;

if (!parentPort) throw new Error("proof-worker.js must run in a worker thread");
const port = parentPort;
const data = workerData as ProofWorkerData;
const generation = new Int32Array(data.control);
const native =
  data.engine === "js"
    ? null
    : loadNativeScanner(data.engine === "native-portable" ? "portable" : "1").scanner;
/** The scan this worker runs: the native core when it loaded, else the TypeScript scanner. */
const scan: ProofScan = native ? nativeScan(native) : scanProofs;

/** The native core as a ProofScan; every proof it finds is re-checked with node:crypto. */
function nativeScan(scanner: NativeScanner): ProofScan {
  // Consecutive chunks of a search share the input: its bytes are made once.
  let cached = {
    prefix: "",
    suffix: "",
    prefixBytes: Buffer.alloc(0),
    suffixBytes: Buffer.alloc(0),
  };
  return (input: ProofSearchInput, start, end, difficulty): ScanResult => {
    if (cached.prefix !== input.prefix || cached.suffix !== input.suffix) {
      cached = {
        prefix: input.prefix,
        suffix: input.suffix,
        prefixBytes: Buffer.from(input.prefix, "utf8"),
        suffixBytes: Buffer.from(input.suffix, "utf8"),
      };
    }
    const { prefixBytes, suffixBytes } = cached;
    const { found, hashes } = scanner.scan(
      prefixBytes,
      suffixBytes,
      start,
      end - start,
      difficulty,
    );
    if (found < 0) return { proof: null, hashes, stopped: false };
    const digest = createHash("sha256")
      .update(prefixBytes)
      .update(String(found))
      .update(suffixBytes)
      .digest();
    if (!digestMeetsDifficulty(digest, difficulty)) {
      throw new Error(`the native scanner (${scanner.engine}) returned an invalid proof ${found}`);
    }
    return { proof: found, hashes, stopped: false };
  };
}

let sliceSize = MIN_SLICE;
let lastReport = performance.now();

port.on("message", (request: ScanRequest) => {
  const stale = () => Atomics.load(generation, 0) !== request.generation;
  let unreported = 0;
  let proof: number | null = null;
  for (let next = request.start; next < request.end && !stale(); ) {
    const count = Math.min(sliceSize, request.end - next);
    const began = performance.now();
    const slice = scan(request.input, next, next + count, request.difficulty, stale);
    unreported += slice.hashes;
    if (slice.proof !== null) {
      proof = slice.proof;
      break;
    }
    next += count;
    const now = performance.now();
    // Aim each slice at SLICE_MS of work, whatever the engine and the load.
    if (count === sliceSize) {
      const scaled = Math.round((sliceSize * SLICE_MS) / Math.max(now - began, 0.5));
      sliceSize = Math.max(MIN_SLICE, Math.min(MAX_SLICE, scaled, 2 * sliceSize));
    }
    if (now - lastReport >= REPORT_MS) {
      const progress: ScanProgress = {
        kind: "progress",
        generation: request.generation,
        hashes: unreported,
      };
      port.postMessage(progress);
      unreported = 0;
      lastReport = now;
    }
  }
  const reply: ScanReply = {
    kind: "done",
    generation: request.generation,
    start: request.start,
    proof,
    hashes: unreported,
  };
  port.postMessage(reply);
});
