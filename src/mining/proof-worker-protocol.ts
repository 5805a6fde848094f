import type { ProofSearchInput } from "../core/pow.js";
import type { MinerEngine } from "./native-scanner.js";

/**
 * The messages between the proof search pool and its worker threads.
 * Kept apart from both so that each side imports only types from the other.
 */

/** Data given to each worker at spawn. */
export interface ProofWorkerData {
  /**
   * One Int32 holding the generation of the running search. The pool bumps
   * it when a search ends (found, aborted, closed); a worker whose chunk
   * belongs to an older generation stops within a few milliseconds.
   */
  control: SharedArrayBuffer;
  /** The engine the pool chose; the worker falls back to "js" if the addon does not load. */
  engine: MinerEngine;
}

/** Pool to worker: scan the proofs of one chunk. */
export interface ScanRequest {
  generation: number;
  /** What the rule hashes for each proof (see ProofSearchInput in the core). */
  input: ProofSearchInput;
  difficulty: number;
  start: number;
  end: number;
}

/** Worker to pool, while a chunk is scanned: hashes done since the last report. */
export interface ScanProgress {
  kind: "progress";
  generation: number;
  hashes: number;
}

/** Worker to pool: the chunk is done (or stopped because its search ended). */
export interface ScanReply {
  kind: "done";
  generation: number;
  start: number;
  proof: number | null;
  /** Hashes since the last progress report. */
  hashes: number;
}

export type WorkerMessage = ScanProgress | ScanReply;
