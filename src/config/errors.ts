/**
 * What went wrong, as a code that crosses boundaries: the domain throws a
 * NodeError with one of these, and the API alone decides which HTTP status
 * each code gets (src/api/errors.ts).
 */
export type NodeErrorCode =
  /** Input that is not what the operation takes (a bad message, block or body). */
  | "BAD_INPUT"
  /** A message larger than the node's --max-message-bytes. */
  | "MESSAGE_TOO_LARGE"
  /** The pending pool is full; the caller may retry once messages are mined. */
  | "PENDING_FULL"
  /** The node is not started, or is stopping. */
  | "NOT_STARTED"
  /** The disk (or the quota) is full: nothing could be stored; it heals once space is free. */
  | "DISK_FULL"
  /** A write to disk failed otherwise (an I/O error); the node retries by itself. */
  | "STORAGE_FAILED";

/** A domain error with a code; never an HTTP status. */
export class NodeError extends Error {
  constructor(
    readonly code: NodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid input to a node operation (a bad message or block), with the reason. */
export class BadInputError extends NodeError {
  constructor(message: string, code: "BAD_INPUT" | "MESSAGE_TOO_LARGE" = "BAD_INPUT") {
    super(code, message);
  }
}

/** An operation that needs a started node. */
export class NotStartedError extends NodeError {
  constructor() {
    super("NOT_STARTED", "the node is not started (or is stopping)");
  }
}

/** A full pending pool: the node refuses (the API answers 503) instead of dropping anything. */
export class PendingFullError extends NodeError {
  constructor(
    readonly limit: number,
    message?: string,
  ) {
    super(
      "PENDING_FULL",
      message ??
        `the node holds ${limit} pending messages, its limit; try again once some are mined`,
    );
  }
}

/** A write the node's storage refused: nothing was stored; the node retries by itself. */
export class StorageError extends NodeError {
  constructor(what: string, cause: Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    const full = code === "ENOSPC" || code === "EDQUOT";
    super(
      full ? "DISK_FULL" : "STORAGE_FAILED",
      full
        ? `the node's disk is full (${what}: ${code}): nothing was stored; try again once space is free`
        : `the node cannot write to disk now (${what}: ${code ?? cause.message}): nothing was stored; try again later`,
    );
    this.cause = cause;
  }
}
