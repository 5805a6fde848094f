/** Why a proof search failed: a typed error that crosses the pool's boundary. */
export class ProofSearchError extends Error {
  constructor(
    readonly code: "SEARCH_BUSY" | "WORKER_CRASHED" | "PROOF_SPACE_EXHAUSTED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ProofSearchError";
  }
}
