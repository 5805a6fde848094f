import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { endianness } from "node:os";
import type { ChainFormat } from "../codecs/chain-format.js";
import { writeFileAtomic } from "../file/atomic-write.js";
import {
  digestFileRanges,
  digestFromState,
  digestPieces,
  type NativeFileDigest,
  nativeFileDigest,
  type RunningDigest,
} from "../file/running-digest.js";
import type { IndexedFile } from "./file-index.js";
import { IdIndex } from "./id-index.js";
import type { NativeChainIndex } from "./native-chain-index.js";
import { OffsetList } from "./offset-list.js";

/*
 * The index of a chain file kept on disk beside it (`<chain path>.index`),
 * written when a node stops cleanly and read by its next start instead of
 * indexing the whole chain file again. It is a cache: any doubt about it and
 * the start indexes the file as it would without it.
 *
 * Layout (all little-endian; written only on little-endian machines):
 *
 *   "BCINDEX1"                 8 bytes
 *   header length              4 bytes (u32)
 *   header                     JSON, UTF-8 (SnapshotHeader)
 *   the header's SHA-256       32 bytes
 *   offsets                    count x 4 bytes: the low 32 bits of where each record starts
 *   ids                        count x 16 bytes: each block's data id
 *
 * Why a start may trust it: it is used only when the digest it was written
 * for is the one the `.hash` holds now, the chain file has the size it had,
 * each `chunkBytes` chunk of the chain file has the SHA-256 listed in the
 * header, and each piece of its own body has the SHA-256 listed there too.
 * Then the chain file's bytes are the ones the node indexed when it wrote
 * the snapshot (SHA-256's resistance to collisions), so the SHA-256 of the
 * whole file is the one the `.hash` holds: the file is vouched for exactly
 * as if that digest had been computed again, but the chunks are hashed on
 * every core at once instead of in one stream of 2 GB. The running digest's
 * state after the whole file (the addon's) is kept too, so that saves go on
 * extending it; it must finish to the `.hash`'s digest.
 */

const MAGIC = Buffer.from("BCINDEX1", "latin1");
const VERSION = 1;
const ID_BYTES = 16;
const OFFSET_BYTES = 4;
const DIGEST_BYTES = 32;
/** The chain file is checked in chunks of this size, one per pool thread at a time (smaller in tests). */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024 * 1024;
/** The smallest chunk a header may name. */
const MIN_CHUNK_BYTES = 4096;
/** How the snapshot is opened to be read: a named pipe at its path must not block the open. */
const NOT_BLOCKED = constants.O_RDONLY | constants.O_NONBLOCK;
/** The largest header read (a chain file of 1 TB lists 30,000 chunk digests). */
const MAX_HEADER_BYTES = 8 * 1024 * 1024;

interface SnapshotHeader {
  version: number;
  format: ChainFormat;
  /** The chain file's size and record count when the snapshot was written. */
  size: number;
  count: number;
  /** The chain file's SHA-256 (what its .hash held), and the addon's running state after it (hex). */
  digest: string;
  state: string;
  /** The SHA-256 of each chunkBytes chunk of the chain file (the last one shorter), hex. */
  chunkBytes: number;
  chunks: string[];
  /** Where the offsets' high part goes up (OffsetList): files past 4 GiB. */
  wraps: number[];
  /** The running digest's states at multiples of 32 MiB the node knew (DigestCheckpoints), [offset, hex]. */
  checkpoints: [number, string][];
  /** The SHA-256 of each chunkBytes piece of the offsets, then of the ids, hex. */
  offsetDigests: string[];
  idDigests: string[];
}

/** The snapshot beside a chain file. */
export function indexSnapshotPath(chainPath: string): string {
  return `${chainPath}.index`;
}

/** What a node that stops cleanly knows of its saved chain file. */
export interface SnapshotContent {
  format: ChainFormat;
  size: number;
  /** The file's SHA-256 (hex) and the running digest's state after it (digestStateOf). */
  digest: string;
  state: Buffer;
  starts: OffsetList;
  /** The ids of the file's blocks, 16 raw bytes each, at least starts.length of them. */
  ids: Buffer;
  /** The digest's states the node keeps (DigestCheckpoints.entries). */
  checkpoints: [number, string][];
  /** Chunk digests known for the file's bytes as they are (KnownChunks): not hashed again. */
  known?: KnownChunks | null;
}

/**
 * The chunk digests a start checked against its snapshot, for the chunks
 * wholly below `below` (the snapshot's size, lowered by every cut since):
 * those bytes are unchanged, so the next snapshot takes their digests as
 * they are instead of reading the chunks again.
 */
export interface KnownChunks {
  chunkBytes: number;
  digests: readonly string[];
  below: number;
}

/**
 * Writes the snapshot of `chainPath` (a temp file renamed over the old one).
 * Gives why it wrote none: no addon to hash the file in the pool, a
 * big-endian machine, or a file at the snapshot's path that is not one.
 */
export async function writeIndexSnapshot(
  chainPath: string,
  content: SnapshotContent,
  native: NativeFileDigest | null = nativeFileDigest(),
  chunkBytes = SNAPSHOT_CHUNK_BYTES,
): Promise<string | null> {
  if (!(Number.isSafeInteger(chunkBytes) && chunkBytes >= MIN_CHUNK_BYTES)) {
    throw new RangeError(`chunks of ${chunkBytes} bytes: at least ${MIN_CHUNK_BYTES} are read`);
  }
  if (endianness() !== "LE") return "this machine is big-endian";
  const count = content.starts.length;
  const path = indexSnapshotPath(chainPath);
  if (!(await isSnapshotOrAbsent(path))) return `${path} exists and is not an index snapshot`;
  const chain = await open(chainPath, "r");
  const ranges = chunkRanges(content.size, chunkBytes);
  const known = content.known?.chunkBytes === chunkBytes ? content.known : null;
  const kept = (k: number) =>
    known !== null && (k + 1) * chunkBytes <= known.below ? (known.digests[k] ?? null) : null;
  let chunks: string[];
  try {
    const digesting = digestFileRanges(
      chain.fd,
      ranges.filter((_, k) => kept(k) === null),
      native,
    );
    if (digesting === null) return "the native addon is not built";
    const hashed = (await settleAll(digesting)).map(hex);
    chunks = ranges.map((_, k) => kept(k) ?? (hashed.shift() as string));
  } finally {
    await chain.close();
  }
  const { low, wraps } = content.starts.parts();
  const offsets = Buffer.from(low.buffer, low.byteOffset, count * OFFSET_BYTES);
  const ids = content.ids.subarray(0, count * ID_BYTES);
  const [offsetDigests, idDigests] = await Promise.all([
    settleAll(digestPieces(piecesOf(offsets, chunkBytes), native)),
    settleAll(digestPieces(piecesOf(ids, chunkBytes), native)),
  ]);
  const header: SnapshotHeader = {
    version: VERSION,
    format: content.format,
    size: content.size,
    count,
    digest: content.digest,
    state: content.state.toString("hex"),
    chunkBytes,
    chunks,
    wraps: [...wraps],
    checkpoints: content.checkpoints.filter(([offset]) => offset <= content.size),
    offsetDigests: offsetDigests.map(hex),
    idDigests: idDigests.map(hex),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length, 0);
  // Not fsynced: a snapshot lost or torn by a crash fails its digests. One temp name: the
  // chain's lock makes this node its only writer, and a temp file left by a node killed while
  // writing (200 MB at 10M blocks) is written over by the next stop, not piled up.
  const headerDigest = createHash("sha256").update(headerBytes).digest();
  await writeFileAtomic(path, [MAGIC, length, headerBytes, headerDigest, offsets, ids], {
    durable: false,
    temp: `${path}.tmp`,
  });
  return null;
}

/**
 * A chain file's index taken from its snapshot, and the running digest after
 * the bytes it covers: the whole file, or (`digestHex` not the `.hash`'s, the
 * file longer) the file as it was at the snapshot, more records after it.
 */
export interface SnapshotIndex extends IndexedFile {
  /** The SHA-256 of the bytes the snapshot covers (the file's first index.size). */
  digestHex: string;
  /** The digest's states within those bytes, as written ([offset, hex]). */
  checkpoints: [number, string][];
  /** Its chunk digests, every one checked against the file. */
  chunks: KnownChunks;
}

/**
 * The index of `chainPath` from its snapshot, when the file's bytes that the
 * snapshot covers are the ones it was written for (every chunk's SHA-256 as
 * listed): the whole file, with the digest its `.hash` holds (`digest`), or
 * the start of a file that grew since (saves after the snapshot, then a
 * crash): the caller then reads the rest and compares the digest it comes
 * to. Else why not (none, another digest, a changed chunk, a damaged
 * snapshot): the caller then indexes the file itself, and judges it as
 * always. The chain's chunks are hashed in the thread pool while this thread
 * reads the snapshot's body and builds the id table from it.
 */
export async function readIndexSnapshot(
  chainPath: string,
  format: ChainFormat,
  digest: string,
  nativeIndex: NativeChainIndex | null,
  native: NativeFileDigest | null = nativeFileDigest(),
): Promise<SnapshotIndex | string> {
  if (endianness() !== "LE") return "this machine is big-endian";
  if (native === null) return "the native addon is not built";
  // Without it no chunk of the chain file would be checked (an addon built before it).
  if (typeof native.digestFileRange !== "function") {
    return "the native addon cannot hash file ranges";
  }
  const path = indexSnapshotPath(chainPath);
  let fd: number;
  try {
    // Not blocked by a named pipe there (a regular file reads the same).
    fd = openSync(path, NOT_BLOCKED);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? "none" : (err as Error).message;
  }
  try {
    if (!fstatSync(fd).isFile()) return "it is not a file";
    const header = readHeader(fd);
    if (typeof header === "string") return header;
    if (header.header.format !== format) return `it is of the ${header.header.format} file`;
    const size = (await stat(chainPath)).size;
    if (header.header.size > size) return "the chain file is shorter than it was";
    if (header.header.size === size && header.header.digest !== digest) {
      return "it was written for another digest";
    }
    const running = digestFromState(Buffer.from(header.header.state, "hex"), native);
    if (running === null || running.hex() !== header.header.digest) {
      return "its digest state does not match";
    }
    return await loadChecked(
      chainPath,
      fd,
      header.header,
      header.bodyAt,
      nativeIndex,
      native,
      running,
    );
  } catch (err) {
    // A snapshot that cannot be read (an I/O error) only costs the start its speed.
    return `it could not be read: ${(err as Error).message}`;
  } finally {
    closeSync(fd);
  }
}

async function loadChecked(
  chainPath: string,
  fd: number,
  header: SnapshotHeader,
  bodyAt: number,
  nativeIndex: NativeChainIndex | null,
  native: NativeFileDigest,
  running: RunningDigest,
): Promise<SnapshotIndex | string> {
  const { count, size, chunkBytes } = header;
  const chain = await open(chainPath, "r");
  // Queued first: the pool hashes the chain file while this thread reads the body.
  const chunks = digestFileRanges(chain.fd, chunkRanges(size, chunkBytes), native);
  if (chunks === null) {
    await chain.close();
    return "the native addon cannot hash file ranges";
  }
  try {
    const low = new Uint32Array(count);
    const offsets = Buffer.from(low.buffer, 0, count * OFFSET_BYTES);
    const ids = Buffer.allocUnsafeSlow(count * ID_BYTES);
    if (!readFully(fd, offsets, bodyAt) || !readFully(fd, ids, bodyAt + offsets.length)) {
      return "it is shorter than its header says";
    }
    const body = [
      ...digestPieces(piecesOf(offsets, chunkBytes), native),
      ...digestPieces(piecesOf(ids, chunkBytes), native),
    ];
    // This thread's share while the pool hashes: the offsets' order, the id table.
    if (!offsetsRise(low, header.wraps, size)) return "its offsets do not rise through the file";
    const { index: idIndex, duplicate } = IdIndex.fromIds(ids, count, nativeIndex);
    const [chunkDigests, bodyDigests] = await Promise.all([settleAll(chunks), settleAll(body)]);
    const changed = chunkDigests.findIndex((d, i) => hex(d) !== header.chunks[i]);
    if (changed >= 0) return `chunk ${changed} of the chain file changed`;
    const listed = [...header.offsetDigests, ...header.idDigests];
    if (bodyDigests.some((d, i) => hex(d) !== listed[i])) return "its body is damaged";
    if (duplicate >= 0) return "its ids repeat";
    const starts = OffsetList.fromParts(low, header.wraps);
    return {
      index: { starts, ids, idIndex, duplicate, count, size, marks: null, unmarked: [] },
      digest: running,
      digestHex: header.digest,
      checkpoints: header.checkpoints,
      chunks: { chunkBytes, digests: header.chunks, below: size },
    };
  } catch (err) {
    return `it could not be read: ${(err as Error).message}`;
  } finally {
    // The pool may still read the chain file: its handle is closed once they end.
    await Promise.allSettled(chunks);
    await chain.close();
  }
}

/** The header and where the body starts, or why it cannot be read. */
function readHeader(fd: number): { header: SnapshotHeader; bodyAt: number } | string {
  const head = Buffer.alloc(MAGIC.length + 4);
  if (!readFully(fd, head, 0) || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
    return "it is not an index snapshot";
  }
  const length = head.readUInt32LE(MAGIC.length);
  if (length > MAX_HEADER_BYTES) return "its header is too long";
  const bytes = Buffer.alloc(length + DIGEST_BYTES);
  if (!readFully(fd, bytes, head.length)) return "it is shorter than its header says";
  const listed = bytes.subarray(length);
  if (!createHash("sha256").update(bytes.subarray(0, length)).digest().equals(listed)) {
    return "its header is damaged";
  }
  let header: SnapshotHeader;
  try {
    header = JSON.parse(bytes.toString("utf8", 0, length)) as SnapshotHeader;
  } catch {
    return "its header is not JSON";
  }
  if (!wellFormed(header)) return "its header is not one this version writes";
  const bodyAt = head.length + bytes.length;
  const expected = bodyAt + header.count * (OFFSET_BYTES + ID_BYTES);
  if (fstatSync(fd).size !== expected) return "its size is not the one its header gives";
  return { header, bodyAt };
}

function wellFormed(h: SnapshotHeader): boolean {
  const whole = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const hexes = (list: unknown, length: number) =>
    Array.isArray(list) &&
    list.length === length &&
    list.every((d) => typeof d === "string" && /^[0-9a-f]{64}$/.test(d));
  return (
    h !== null &&
    typeof h === "object" &&
    h.version === VERSION &&
    whole(h.chunkBytes) &&
    h.chunkBytes >= MIN_CHUNK_BYTES &&
    whole(h.size) &&
    whole(h.count) &&
    h.count > 0 &&
    typeof h.digest === "string" &&
    typeof h.state === "string" &&
    Array.isArray(h.wraps) &&
    h.wraps.every((at, k) => whole(at) && at <= h.count && at >= (h.wraps[k - 1] ?? 0)) &&
    Array.isArray(h.checkpoints) &&
    h.checkpoints.every(
      (c) =>
        Array.isArray(c) &&
        whole(c[0]) &&
        c[0] <= h.size &&
        typeof c[1] === "string" &&
        /^[0-9a-f]+$/.test(c[1]),
    ) &&
    hexes(h.chunks, pieceCount(h.size, h.chunkBytes)) &&
    hexes(h.offsetDigests, pieceCount(h.count * OFFSET_BYTES, h.chunkBytes)) &&
    hexes(h.idDigests, pieceCount(h.count * ID_BYTES, h.chunkBytes))
  );
}

/** The chunks the chain file is checked in: [k * chunkBytes, (k + 1) * chunkBytes), the last one shorter. */
function chunkRanges(size: number, chunkBytes: number): { offset: number; length: number }[] {
  return Array.from({ length: pieceCount(size, chunkBytes) }, (_, k) => ({
    offset: k * chunkBytes,
    length: Math.min(chunkBytes, size - k * chunkBytes),
  }));
}

function pieceCount(bytes: number, chunkBytes: number): number {
  return Math.ceil(bytes / chunkBytes);
}

function piecesOf(bytes: Buffer, chunkBytes: number): Buffer[] {
  return Array.from({ length: pieceCount(bytes.length, chunkBytes) }, (_, k) =>
    bytes.subarray(k * chunkBytes, (k + 1) * chunkBytes),
  );
}

/** Fills `into` from `position` on; false when the file ends first. */
function readFully(fd: number, into: Buffer, position: number): boolean {
  for (let done = 0; done < into.length; ) {
    const read = readSync(fd, into, done, into.length - done, position + done);
    if (read === 0) return false;
    done += read;
  }
  return true;
}

/** Every promise's value, once all have settled (none left running), or the first failure. */
async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function hex(digest: Buffer): string {
  return digest.toString("hex");
}

/**
 * Whether the offsets (their low 32 bits, the high part going up at each of
 * `wraps`) rise strictly and stay inside the file: a header whose wraps were
 * changed with its digest (not damage, which the digests find) is refused
 * here rather than met as a broken record later.
 */
function offsetsRise(low: Uint32Array, wraps: readonly number[], size: number): boolean {
  let high = 0;
  let previous = -1;
  for (let i = 0; i < low.length; i++) {
    while (high < wraps.length && (wraps[high] as number) <= i) high++;
    const offset = high * 2 ** 32 + (low[i] as number);
    if (offset <= previous) return false;
    previous = offset;
  }
  return previous < size;
}

/** Whether `path` is free for a snapshot: absent, or a snapshot (never another file written over). */
async function isSnapshotOrAbsent(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, NOT_BLOCKED);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
  try {
    if (!(await handle.stat()).isFile()) return false;
    const head = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(MAGIC);
  } finally {
    await handle.close();
  }
}
