import { parentPort, workerData } from "node:worker_threads";
import { type ProofScan, scanProofs } from "./proof-scanner.js";
import type { ProofWorkerData, ScanReply, ScanRequest } from "./proof-worker-protocol.js";

/*
 * A proof search thread: scans the chunks the pool sends, one at a time, and
 * answers each with one message. Between chunks it waits on its message port,
 * so an idle worker uses no CPU.
 */

if (!parentPort) throw new Error("proof-worker.js must run in a worker thread");
const port = parentPort;
const generation = new Int32Array((workerData as ProofWorkerData).control);
/** The scan this worker runs: the one seam where a faster (native) scanner plugs in. */
const scan: ProofScan = scanProofs;

port.on("message", (request: ScanRequest) => {
  const stale = () => Atomics.load(generation, 0) !== request.generation;
  const result = stale()
    ? { proof: null, hashes: 0 }
    : scan(request.input, request.start, request.end, request.difficulty, stale);
  const reply: ScanReply = {
    generation: request.generation,
    start: request.start,
    proof: result.proof,
    hashes: result.hashes,
  };
  port.postMessage(reply);
});
