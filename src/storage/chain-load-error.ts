/** What kind of problem stopped a chain file from loading. */
export type ChainLoadErrorCode =
  /** The file could not be read or written (missing, no permission, ...). */
  | "READ_FAILED"
  /** A chain file of the original Python node: `blockchain import` carries its messages over. */
  | "ORIGINAL_CHAIN_FILE"
  /** The file is in the other format than the one asked for. */
  | "WRONG_FORMAT"
  /** The binary header's magic bytes are not ours. */
  | "BAD_MAGIC"
  /** The binary header names a format version this code does not know. */
  | "UNSUPPORTED_VERSION"
  /** A record that cannot be decoded: bad JSON, a damaged binary record header, bad fields. */
  | "BAD_RECORD"
  /** A binary record whose CRC32 does not match its bytes. */
  | "BAD_CRC"
  /** A JSON line that decodes but is not the canonical encoding of its block. */
  | "NOT_CANONICAL"
  /** The file holds no whole block (a note, another program's file, an empty file). */
  | "NO_WHOLE_BLOCK"
  /** The records decode but the chain breaks a validity rule (SPEC section 3). */
  | "INVALID_CHAIN"
  /** The part of the file its .hash covers changed since the last backup. */
  | "MODIFIED_CHAIN";

/** Where in a chain file a problem sits. */
export interface ChainFileLocation {
  /** Index of the record (= the block index it should hold), when known. */
  index?: number;
  /** 1-based line number, in a JSON Lines file. */
  line?: number;
  /** Byte offset of the record (or of the damage) in the file. */
  offset?: number;
}

/**
 * A chain file that cannot be loaded: the message says why and where (file,
 * record or line, byte offset) so that a user can find the damage.
 */
export class ChainLoadError extends Error {
  readonly index: number | undefined;
  readonly line: number | undefined;
  readonly offset: number | undefined;

  constructor(
    readonly code: ChainLoadErrorCode,
    readonly path: string,
    /** The problem alone, without the location (e.g. a validation reason). */
    readonly reason: string,
    where: ChainFileLocation = {},
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${describeLocation(code, where)}${reason}`, options);
    this.name = "ChainLoadError";
    this.index = where.index;
    this.line = where.line;
    this.offset = where.offset;
  }
}

function describeLocation(code: ChainLoadErrorCode, where: ChainFileLocation): string {
  const parts: string[] = [];
  if (where.index !== undefined) {
    parts.push(code === "INVALID_CHAIN" ? `block ${where.index}` : `record ${where.index}`);
  }
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.offset !== undefined) parts.push(`byte offset ${where.offset}`);
  return parts.length > 0 ? `${parts.join(", ")}: ` : "";
}
