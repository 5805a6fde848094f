import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { DEFAULTS } from "../config/config.js";
import { checkDifficulty, type ProofSearchInput } from "../core/pow.js";
import { loadNativeScanner, type MinerEngine } from "./native-scanner.js";
import { ProofSearchError } from "./proof-search-error.js";
import type {
  ProofWorkerData,
  ScanReply,
  ScanRequest,
  WorkerMessage,
} from "./proof-worker-protocol.js";

/** A proof found by the pool, with what it cost. */
export interface ProofFound {
  proof: number;
  hashes: number;
  elapsedMs: number;
}

export interface ProofSearchPoolOptions {
  /** How many worker threads search in parallel. */
  workers: number;
  /**
   * Proofs per chunk handed to a worker (default: DEFAULTS.proofChunkSize,
   * or DEFAULTS.nativeProofChunkSize for the native core).
   */
  chunkSize?: number;
  /**
   * The BLOCKCHAIN_NATIVE setting that picks the engine ("0": TypeScript,
   * "portable": portable C, else the fastest); default: the environment's.
   */
  native?: string | undefined;
  /** The worker module; tests substitute one that crashes. */
  workerUrl?: URL;
  /** Called with the hashes done as the workers report them (live, during a search). */
  onHashes?: (hashes: number) => void;
}

/** Proofs above this are not safe integers, so the search space ends here. */
const PROOF_LIMIT = Number.MAX_SAFE_INTEGER + 1;

/** A worker thread and the chunk it is scanning, if any. */
interface Slot {
  worker: Worker;
  /** The chunk sent and not yet answered (possibly of an ended search). */
  busy: boolean;
  /** Set once the worker failed or exited: the next search spawns a new one. */
  dead: boolean;
}

/** The state of the one running search. */
interface ActiveSearch {
  generation: number;
  input: ProofSearchInput;
  difficulty: number;
  /** Index of the next chunk to hand out; chunk i is [i * chunkSize, (i + 1) * chunkSize). */
  nextChunk: number;
  /** Every chunk below this index is done. */
  frontier: number;
  /** Chunks at or above the frontier that are done. */
  doneAbove: Set<number>;
  /** The lowest chunk with a valid proof so far, and that proof. */
  best: { chunk: number; proof: number } | null;
  hashes: number;
  startedAt: number;
  /** When the last hashes of this search were reported (for the live rate). */
  reportedAt: number;
  settle: (outcome: ProofFound | null | Error) => void;
}

/**
 * The multi-threaded proof search: consecutive chunks of proofs are handed
 * out in order to worker threads, and a proof found in chunk k is returned
 * once every chunk below k is done, so the answer is the smallest valid
 * proof whatever the number of threads or their speed.
 *
 * One search at a time: a second call while one runs rejects with
 * ProofSearchError "SEARCH_BUSY" (the caller owns the search and aborts it
 * through its signal; silently aborting the first would hide a caller's bug).
 * An abort resolves null at once; the workers leave the abandoned chunk
 * within milliseconds (they watch a shared generation counter). The workers
 * scan with the native core where it loads (see native-scanner.ts), else
 * with the TypeScript scanner, and report their hashes as they go.
 * Workers are spawned at the first search and wait on their message port
 * between chunks, so an idle pool burns no CPU. A worker that dies rejects
 * the running search with "WORKER_CRASHED" and is replaced at the next search.
 */
export class ProofSearchPool {
  private readonly size: number;
  private readonly chunkSize: number;
  private readonly workerUrl: URL;
  private readonly control = new SharedArrayBuffer(4);
  private readonly generation = new Int32Array(this.control);
  private readonly slots: Slot[] = [];
  private active: ActiveSearch | null = null;
  private closed = false;
  private lastHashrate = 0;
  private hashesSinceCreation = 0;
  private readonly onHashes: ((hashes: number) => void) | undefined;
  /** Which code mines in the workers. */
  readonly engine: MinerEngine;
  /** Why that engine (a sentence for the start-up log). */
  readonly engineReason: string;

  constructor(opts: ProofSearchPoolOptions) {
    if (!Number.isSafeInteger(opts.workers) || opts.workers < 1) {
      throw new RangeError(`workers must be a positive integer, got ${String(opts.workers)}`);
    }
    const choice = loadNativeScanner(opts.native);
    this.engine = choice.engine;
    this.engineReason = choice.reason;
    const chunkSize =
      opts.chunkSize ??
      (this.engine === "js" ? DEFAULTS.proofChunkSize : DEFAULTS.nativeProofChunkSize[this.engine]);
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(`chunkSize must be a positive integer, got ${String(chunkSize)}`);
    }
    this.size = opts.workers;
    this.chunkSize = chunkSize;
    this.workerUrl = opts.workerUrl ?? new URL("../mining/proof-worker.js", import.meta.url);
    this.onHashes = opts.onHashes;
  }

  /** Whether a search is running. */
  get searching(): boolean {
    return this.active !== null;
  }

  /**
   * Hashes per second: of the running search once its workers reported,
   * else over the last search that did any work (completed or aborted).
   */
  get hashrate(): number {
    const search = this.active;
    if (search && search.hashes > 0 && search.reportedAt > search.startedAt) {
      return (search.hashes * 1000) / (search.reportedAt - search.startedAt);
    }
    return this.lastHashrate;
  }

  /** Every hash computed since the pool was created, abandoned chunks included. */
  get totalHashes(): number {
    return this.hashesSinceCreation;
  }

  /**
   * The smallest valid proof for a rule's search input; null if aborted
   * through `signal` or if the pool is (or gets) closed.
   */
  search(
    input: ProofSearchInput,
    difficulty: number,
    signal?: AbortSignal,
  ): Promise<ProofFound | null> {
    try {
      checkDifficulty(difficulty);
      checkSearchInput(input);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closed || signal?.aborted) return Promise.resolve(null);
    if (this.active) {
      return Promise.reject(
        new ProofSearchError("SEARCH_BUSY", "a proof search is already running on this pool"),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => this.finish(null);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.active = {
        generation: this.bumpGeneration(),
        input: { prefix: input.prefix, suffix: input.suffix },
        difficulty,
        nextChunk: 0,
        frontier: 0,
        doneAbove: new Set(),
        best: null,
        hashes: 0,
        startedAt: performance.now(),
        reportedAt: 0,
        settle: (outcome) => {
          signal?.removeEventListener("abort", onAbort);
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        },
      };
      this.spawnMissing();
      for (const slot of this.slots) this.dispatch(slot);
    });
  }

  /** Ends any search (it resolves null) and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.finish(null);
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private bumpGeneration(): number {
    // Stale chunks compare against this value and stop; wrapping around is harmless.
    const next = (Atomics.load(this.generation, 0) + 1) | 0;
    Atomics.store(this.generation, 0, next);
    return next;
  }

  private spawnMissing(): void {
    for (let i = this.slots.length - 1; i >= 0; i--) {
      if (this.slots[i]?.dead) this.slots.splice(i, 1);
    }
    while (this.slots.length < this.size) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const workerData: ProofWorkerData = { control: this.control, engine: this.engine };
    const worker = new Worker(this.workerUrl, { workerData, execArgv: workerExecArgv() });
    const slot: Slot = { worker, busy: false, dead: false };
    worker.on("message", (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on("error", (err) => this.onDeath(slot, err));
    worker.on("exit", (code) => this.onDeath(slot, new Error(`exited with code ${code}`)));
    return slot;
  }

  /** Hands the next chunk of the running search to an idle worker, if one is still needed. */
  private dispatch(slot: Slot): void {
    const search = this.active;
    if (!search || slot.busy || slot.dead || search.best) return;
    const start = search.nextChunk * this.chunkSize;
    if (start >= PROOF_LIMIT) {
      this.failIfExhausted();
      return;
    }
    search.nextChunk++;
    const request: ScanRequest = {
      generation: search.generation,
      input: search.input,
      difficulty: search.difficulty,
      start,
      end: Math.min(start + this.chunkSize, PROOF_LIMIT),
    };
    slot.busy = true;
    slot.worker.postMessage(request);
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    this.countHashes(message.hashes, message.generation);
    if (message.kind === "progress") return;
    slot.busy = false;
    const search = this.active;
    if (search && message.generation === search.generation) this.record(search, message);
    if (this.active) this.dispatch(slot);
  }

  /** Counts reported hashes: every one in the total, those of the running search in its rate. */
  private countHashes(hashes: number, generation: number): void {
    if (hashes === 0) return;
    this.hashesSinceCreation += hashes;
    this.onHashes?.(hashes);
    const search = this.active;
    if (search && generation === search.generation) {
      search.hashes += hashes;
      search.reportedAt = performance.now();
    }
  }

  /** Takes a finished chunk into account; ends the search once its smallest proof is certain. */
  private record(search: ActiveSearch, reply: ScanReply): void {
    const chunk = Math.floor(reply.start / this.chunkSize);
    if (reply.proof !== null && (!search.best || chunk < search.best.chunk)) {
      search.best = { chunk, proof: reply.proof };
    }
    search.doneAbove.add(chunk);
    while (search.doneAbove.delete(search.frontier)) search.frontier++;
    const best = search.best;
    if (best && search.frontier >= best.chunk) {
      this.finish({
        proof: best.proof,
        hashes: search.hashes,
        elapsedMs: performance.now() - search.startedAt,
      });
    }
  }

  /** Every chunk was handed out: once none is outstanding, no proof exists. */
  private failIfExhausted(): void {
    if (this.slots.some((s) => s.busy && !s.dead)) return;
    this.finish(
      new ProofSearchError("PROOF_SPACE_EXHAUSTED", "no valid proof below Number.MAX_SAFE_INTEGER"),
    );
  }

  private onDeath(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.busy = false;
    if (this.closed) return;
    this.finish(
      new ProofSearchError("WORKER_CRASHED", `a proof search worker failed: ${err.message}`, {
        cause: err,
      }),
    );
  }

  /** Settles the running search, if any, and makes its outstanding chunks stale. */
  private finish(outcome: ProofFound | null | Error): void {
    const search = this.active;
    if (!search) return;
    this.active = null;
    this.bumpGeneration();
    const elapsedMs = performance.now() - search.startedAt;
    if (search.hashes > 0 && elapsedMs > 0) this.lastHashrate = (search.hashes * 1000) / elapsedMs;
    search.settle(outcome);
  }
}

/**
 * The parent's node flags minus --input-type, which a worker started from a
 * file refuses (it only applies to --eval or stdin, e.g. `node -e` scripts).
 */
function workerExecArgv(): string[] {
  const argv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i] as string;
    if (arg === "--input-type") i++;
    else if (!arg.startsWith("--input-type=")) argv.push(arg);
  }
  return argv;
}

/** Throws a RangeError unless the search input is a prefix and a suffix, both strings. */
function checkSearchInput(input: unknown): void {
  const { prefix, suffix } = (input ?? {}) as Record<string, unknown>;
  if (typeof prefix !== "string" || typeof suffix !== "string") {
    throw new RangeError(
      `the search input must be { prefix: string, suffix: string }, got ${JSON.stringify(input)}`,
    );
  }
}
