import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { access, type FileHandle, mkdir, open, rename, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Block } from "../core/block.js";
import { genesisBlock } from "../core/genesis.js";
import { hashBlock } from "../core/hash.js";
import { checkDifficulty, type ProofRule } from "../core/pow.js";
import { type LoadedChain, loadCheckedChain, loadIndexedChain } from "./chain-load.js";
import { ChainLoadError } from "./chain-load-error.js";
import { checkChainFileInChunks } from "./check/chunked-check.js";
import { type ChainCodec, type ChainFormat, codecFor } from "./codecs/chain-format.js";
import { syncDirectory, writeAllAt } from "./file/atomic-write.js";
import { BlockMarks, MARK_BYTES, marksFilePath, marksOf } from "./file/block-marks.js";
import { MAX_CHAIN_FILE_BYTES, readChainBytes, writeChainFile } from "./file/chain-file.js";
import { ChainLock } from "./file/chain-lock.js";
import { CHECKPOINT_BYTES, DigestCheckpoints } from "./file/digest-checkpoints.js";
import {
  type ChainHash,
  claimHashFile,
  hashFilePath,
  hashOwnerPath,
  readChainHash,
  writeHashFile,
} from "./file/hash-file.js";
import { CHUNK_BYTES, tornTailStart } from "./file/record-chunks.js";
import { RecordFile } from "./file/record-file.js";
import { digestOf, digestStateOf, newDigest, type RunningDigest } from "./file/running-digest.js";
import {
  BlockRecords,
  type RecordRun,
  recordRun,
  type SavedRecords,
} from "./index/block-records.js";
import { type IndexedFile, indexChainFile, indexChainFileAfter } from "./index/file-index.js";
import {
  indexSnapshotPath,
  type KnownChunks,
  readIndexSnapshot,
  SNAPSHOT_CHUNK_BYTES,
  writeIndexSnapshot,
} from "./index/index-snapshot.js";
import { type NativeChainIndex, nativeChainIndex } from "./index/native-chain-index.js";
import type { OffsetList } from "./index/offset-list.js";

export type { LoadedChain } from "./chain-load.js";
export { ChainLoadError } from "./chain-load-error.js";
export { type ChainFormat, normalizeFormat } from "./codecs/chain-format.js";
export type { ChainFile } from "./file/chain-file.js";
export { checkChainFile, readChainFile, writeChainFile } from "./file/chain-file.js";
export { ChainLock, ChainLockedError, lockFilePath } from "./file/chain-lock.js";
export { hashFilePath } from "./file/hash-file.js";
export type { RecordRun } from "./index/block-records.js";

export interface ChainStoreOptions {
  format: ChainFormat;
  /** The node's difficulty: the loaded chain is validated against it. */
  difficulty: number;
  /** The node's proof rule (default the original's): the loaded chain must follow it. */
  rule?: ProofRule;
  /** Start from genesis; the old file and its .hash are moved to a backup copy, never deleted. */
  forceNewChain?: boolean;
  maxMessageBytes?: number;
  /**
   * Validate every block even when the .hash vouches for the file (`--verify-chain`);
   * otherwise such a file has only its genesis and last 100 blocks checked in full.
   */
  verifyAll?: boolean;
  /**
   * Take a file whose part covered by its .hash changed since the last backup
   * (it is fully validated, as every file not vouched for); without it such a start fails.
   */
  acceptModifiedChain?: boolean;
  /** The validator's clock (ms since the epoch), for tests. */
  now?: number;
  /**
   * The largest file read whole to name its fault or repair it (default: the
   * most one Buffer holds, 4 GiB); past it a torn last record is found and
   * cut in chunks, other damage refused. Smaller for tests.
   */
  wholeFileMax?: number;
  /**
   * The smallest chain file whose index writeIndexSnapshot keeps on disk
   * (default 0: every one; the node's `indexSnapshotBytes`).
   */
  indexSnapshotMinBytes?: number;
  /** Bytes between two kept states of the file's digest (default 32 MiB; smaller in tests). */
  digestCheckpointBytes?: number;
  logger?: { warn(msg: string): void };
}

export interface OpenedChainStore {
  store: ChainStore;
  /** The chain, held compactly (records plus an index): ChainState starts from it. */
  loaded: LoadedChain;
  /** Whether the .hash vouched for the file, so that only its last blocks were checked in full. */
  trusted: boolean;
  /** Every block, decoded (costly on a long chain: for tests and small tools). */
  readonly chain: Block[];
  /** What the load repaired or noticed (a torn record cut off, a stale .hash rewritten). */
  warnings: string[];
  /**
   * Whether the index came from the snapshot a clean stop left (index-snapshot.ts),
   * with how many blocks were read from the file after the part it covers, or why not.
   */
  indexSnapshot: { used: true; blocksAfter: number } | { used: false; why: string };
}

/** Bytes of a block hash. */
const HASH_BYTES = 32;

/** Bytes read at a time when the .hash is recomputed after a truncation. */
const REHASH_CHUNK = 1024 * 1024;

/**
 * The chain file of a node (SPEC section 5): loads and checks it, then keeps
 * it in step with the chain by appending new records and, after a switch of
 * branch, rewriting only from the fork point. Next to it, the `.hash` file
 * holds the SHA-256 of the file's bytes after every save.
 *
 * The record offsets and a running SHA-256 stay in memory, so that a save
 * costs O(new blocks); only a truncation re-reads the file to rehash it.
 */
export class ChainStore {
  readonly hashPath: string;
  private readonly codec: ChainCodec;
  /** Byte offset of every persisted record; its length is the persisted chain length. */
  private readonly offsets: OffsetList;
  private size: number;
  private hasher: RunningDigest;
  private queue: Promise<void> = Promise.resolve();
  /** The digest's states every 32 MiB of the file: a cut at a fork point rehashes one stretch. */
  private checkpoints = new DigestCheckpoints();
  /** The chunk digests the start checked against its snapshot, valid below a cut (KnownChunks). */
  private knownChunks: KnownChunks | null = null;
  private closed = false;
  private ownsHash = true;
  private snapshotMinBytes = 0;

  private constructor(
    readonly path: string,
    readonly format: ChainFormat,
    private readonly handle: FileHandle,
    private readonly lock: ChainLock,
    private readonly marks: BlockMarks,
    /** The file read by the chain's saved blocks (closed with the store). */
    readonly file: RecordFile,
    offsets: OffsetList,
    size: number,
    hasher: RunningDigest,
  ) {
    this.codec = codecFor(format);
    this.hashPath = hashFilePath(path);
    this.offsets = offsets;
    this.size = size;
    this.hasher = hasher;
  }

  /**
   * Opens (or creates, holding genesis) the chain file at `path` and loads its
   * chain, holding its lock (`<path>.lock`) until close(): a second owner
   * gets a ChainLockedError naming the holder's pid. A torn last record after
   * whole ones is cut off with a warning (the cut bytes are kept beside it);
   * a file with no whole block, an invalid chain or any other damage throws a
   * ChainLoadError and leaves the file untouched.
   */
  static async open(path: string, opts: ChainStoreOptions): Promise<OpenedChainStore> {
    checkDifficulty(opts.difficulty);
    await mkdir(dirname(path), { recursive: true });
    const lock = await ChainLock.acquire(path);
    try {
      return await ChainStore.openLocked(path, opts, lock);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  private static async openLocked(
    path: string,
    opts: ChainStoreOptions,
    lock: ChainLock,
  ): Promise<OpenedChainStore> {
    const warnings: string[] = [];
    const warn = (msg: string) => {
      warnings.push(msg);
      opts.logger?.warn(msg);
    };
    if (opts.forceNewChain) {
      const fileThere = await exists(path);
      // A --force-new-chain cut short between its renames (a crash, a second signal) left the
      // .hash of the moved file: it would refuse the new genesis file as a modified chain.
      const hashLeft =
        !fileThere &&
        (await exists(hashFilePath(path))) &&
        (await readChainHash(path)).otherOwner === null;
      if (fileThere || hashLeft) {
        const backup = await moveToBackup(path);
        warn(
          fileThere
            ? `--force-new-chain: the old chain file was moved to ${backup}`
            : `--force-new-chain: the .hash left by an earlier one cut short was moved to ${hashFilePath(path)}${backup.slice(path.length)}`,
        );
      }
    }
    if (!(await exists(path))) {
      await writeChainFile(path, opts.format, [genesisBlock()]);
    }
    // A named pipe would block every read of it (the start waiting forever), a folder fails later
    // with a less clear word: the chain file must be a regular file.
    if (!(await stat(path)).isFile()) {
      throw new ChainLoadError(
        "READ_FAILED",
        path,
        "cannot read the chain file: it is not a regular file (a folder, a named pipe or a device); give the path of a chain file",
      );
    }

    const validation = {
      difficulty: opts.difficulty,
      ...(opts.rule ? { rule: opts.rule } : {}),
      ...(opts.now !== undefined ? { now: opts.now } : {}),
      ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}),
    };
    const codec = codecFor(opts.format);
    const file = new RecordFile(path);
    // A .hash that vouches for another chain file of the same name (a converted copy beside
    // this one) says nothing about this file: it is checked in full, then the .hash is its own.
    const chainHash = await readChainHash(path);
    const stored = chainHash.digest;
    // The .hash vouches for bytes the node itself wrote: those are not validated again. The
    // file is read in chunks, digested in the thread pool (with the addon) while this thread
    // indexes the same bytes as if the .hash vouched for them; the index is used only if it does.
    const native = nativeChainIndex();
    const withMarks = !(await hasMarks(path));
    const readInChunks = async (limit?: number) => {
      const indexed =
        !opts.verifyAll && stored !== null
          ? await indexChainFile(path, codec, native, withMarks, CHUNK_BYTES, limit)
          : null;
      const trusted = indexed !== null && indexed.digest.hex() === stored;
      // Not vouched for (another program's file, a stale .hash, --verify-chain): checked in full,
      // in chunks; the blocks are then read from the file as a trusted one's are.
      const checked = trusted
        ? null
        : await checkChainFileInChunks(path, codec, validation, native, true, CHUNK_BYTES, limit);
      return { indexed, trusted, checked };
    };
    // A clean stop left the index on disk: when it was written for these very bytes (checked
    // chunk by chunk on every core), the file is not read in one stream again.
    const snapshot =
      !opts.verifyAll && stored !== null && !withMarks
        ? await indexFromSnapshot(path, codec, stored, native)
        : { why: "the .hash or the marks are missing, or every block is checked" };
    let { indexed, trusted, checked } =
      "why" in snapshot
        ? await readInChunks()
        : { indexed: snapshot.indexed, trusted: true, checked: null };
    const wholeFileMax = opts.wholeFileMax ?? MAX_CHAIN_FILE_BYTES;
    /** A torn last record cut off a file too large to be read whole (its part before it read in chunks). */
    let tornLarge: TornLargeTail | null = null;
    if (!trusted && checked === null && (await fileSize(path)) > wholeFileMax) {
      tornLarge = await tornTailOfLargeFile(path, file, codec, native);
      if (tornLarge) ({ indexed, trusted, checked } = await readInChunks(tornLarge.at));
    }
    let loaded!: LoadedChain;
    let hasher!: RunningDigest;
    let size!: number;
    let offsets!: OffsetList;
    let repair: { keep: number; append: Buffer | null } | null = null;
    /** What the marks and a changed file's coverage are judged on. */
    let view!: ChainView;
    if (indexed !== null && trusted) {
      loaded = loadIndexedChain(path, file, indexed.index, codec, validation);
      hasher = indexed.digest;
      size = indexed.index.size;
      offsets = indexed.index.starts;
      view = marksView(loaded.records, indexed.index.marks, indexed.index.unmarked);
    } else if (checked !== null && !(checked instanceof ChainLoadError)) {
      const { index } = checked;
      hasher = checked.digest;
      size = index.size;
      offsets = index.starts;
      const records = BlockRecords.onFile(
        codec,
        { file, starts: offsets },
        index.count,
        size,
        checked.tipHash,
      );
      loaded = { records, ids: index.idIndex };
      view = marksView(records, index.marks, index.unmarked);
    } else {
      // A file whose framing is not sound all through (a torn last record, damage, another
      // program's file) or with a broken block: the whole file in memory (up to 4 GiB), so
      // that the check names exactly what is wrong, and a load repairs what it can.
      if (checked instanceof ChainLoadError && (await fileSize(path)) > wholeFileMax) {
        throw checked;
      }
      const bytes = await readChainBytes(path, false, wholeFileMax);
      const digesting = digestOf(bytes);
      // Framed only: each record is parsed once, by the full check.
      const sound = codec.soundPart(bytes, path);
      const kept = bytes.subarray(0, sound.end);
      const records = sound.completion ? Buffer.concat([kept, sound.completion]) : kept;
      const whole = loadCheckedChain(path, records, codec, validation);
      hasher = await digesting;
      if (!whole) {
        // Our own writes create a file whole (temp file + rename), so a file without one
        // whole block is not a chain this node wrote: a note, another program's file, a typo.
        const why = sound.torn ? sound.torn.reason : "the file is empty";
        throw new ChainLoadError(
          "NO_WHOLE_BLOCK",
          path,
          `holds no whole block of a ${opts.format} chain file (${why}); the file was left as it is. ` +
            "Give another chain path, or move the file away (--force-new-chain keeps it as a backup copy)",
        );
      }
      const count = whole.records.length;
      if (sound.torn) {
        const copy = await keepTornTail(path, bytes.subarray(sound.end));
        warn(
          `${path}: cut off a torn last record at byte offset ${sound.torn.offset} (${sound.torn.reason}); ` +
            `${count} block(s) kept; the cut bytes are saved in ${copy}`,
        );
      }
      if (sound.completion) warn(`${path}: the last line lacked its newline; added it`);
      size = bytes.length;
      if (sound.torn || sound.completion || kept.length !== bytes.length) {
        repair = { keep: kept.length, append: sound.completion };
        hasher = newDigest();
        hasher.update(records);
        size = records.length;
      }
      const marks = whole.records.hashPrefixes(MARK_BYTES);
      view = { length: count, hashPrefixes: () => marks };
      offsets = whole.records.startsOf();
      loaded = {
        records: BlockRecords.onFile(
          codec,
          { file, starts: offsets },
          count,
          size,
          whole.records.hashBytesAt(count - 1) as Buffer,
        ),
        ids: whole.ids,
      };
    }

    if (tornLarge) {
      const copy = await keepTornTail(path, tornLarge.bytes);
      warn(
        `${path}: cut off a torn last record at byte offset ${tornLarge.at} (${tornLarge.reason}); ` +
          `${loaded.records.length} block(s) kept; the cut bytes are saved in ${copy}`,
      );
      repair = { keep: tornLarge.at, append: null };
    }

    const handle = await open(path, "r+");
    let marks: BlockMarks | null = null;
    try {
      marks = await BlockMarks.open(marksFilePath(path));
      if (repair) {
        await handle.truncate(repair.keep);
        if (repair.append) await writeAllAt(handle, repair.append, repair.keep);
        await handle.sync();
      }
      const store = new ChainStore(
        path,
        opts.format,
        handle,
        lock,
        marks,
        file,
        offsets,
        size,
        hasher,
      );
      store.snapshotMinBytes = opts.indexSnapshotMinBytes ?? 0;
      const every = opts.digestCheckpointBytes ?? CHECKPOINT_BYTES;
      store.checkpoints =
        "why" in snapshot
          ? new DigestCheckpoints(every)
          : DigestCheckpoints.from(snapshot.checkpoints, every);
      store.knownChunks = "why" in snapshot ? null : snapshot.chunks;
      // The marks then belong to the same file the .hash vouched for.
      const ownMarks = chainHash.otherOwner === null;
      await store.checkCoverage(view, ownMarks, chainHash, opts, warn);
      const result = loaded;
      return {
        store,
        loaded: result,
        trusted,
        warnings,
        indexSnapshot:
          "why" in snapshot
            ? { used: false, why: snapshot.why }
            : { used: true, blocksAfter: snapshot.blocksAfter },
        get chain() {
          return Array.from({ length: result.records.length }, (_, i) =>
            result.records.blockAt(i),
          ) as Block[];
        },
      };
    } catch (err) {
      await marks?.close();
      await handle.close();
      file.close();
      throw err;
    }
  }

  /** How many blocks the file holds. */
  get persistedLength(): number {
    return this.offsets.length;
  }

  /** The file and where each record starts (the list the store appends to, shared). */
  get saved(): SavedRecords {
    return { file: this.file, starts: this.offsets };
  }

  /** Where the file's first `count` records end (the file's size for all of them). */
  endOfRecords(count: number): number {
    return this.offsets.at(count) ?? this.size;
  }

  /**
   * Persist `chain`, knowing blocks before `dirtyFrom` are unchanged since the
   * last save: appends only new blocks; after a fork (dirtyFrom <
   * persistedLength) truncates at that record and appends from there. fsyncs,
   * then updates the .hash file.
   */
  save(chain: readonly Block[] | RecordRun, dirtyFrom: number): Promise<void> {
    const records = Array.isArray(chain) ? this.runOf(chain as readonly Block[]) : chain;
    const run = this.queue.then(() => this.saveNow(records as RecordRun, dirtyFrom));
    // Saves run one after another; a failed one must not block the next.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Keeps the file's index on disk for the next start (index-snapshot.ts),
   * after the saves queued so far: `ids` are the data ids of the file's
   * blocks (16 raw bytes each), which the caller must know to be exactly
   * the saved ones (nothing unsaved). Gives why none was written: the file
   * is small, the digest is node:crypto's, the store is closed.
   */
  async writeIndexSnapshot(ids: Buffer, chunkBytes = SNAPSHOT_CHUNK_BYTES): Promise<string | null> {
    await this.queue;
    if (this.closed) return "the chain store is closed";
    if (this.size < this.snapshotMinBytes) return "the chain file is small";
    if (ids.length < this.offsets.length * 16) return "fewer ids than blocks";
    const state = digestStateOf(this.hasher);
    if (state === null) return "the native addon is not built";
    return writeIndexSnapshot(
      this.path,
      {
        format: this.format,
        size: this.size,
        digest: this.digest(),
        state,
        starts: this.offsets,
        ids,
        checkpoints: this.checkpoints.entries(),
        known: this.knownChunks,
      },
      undefined,
      chunkBytes,
    );
  }

  /** Waits for pending saves, closes the file and releases its lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    try {
      await this.marks.close();
      await this.handle.close();
      this.file.close();
    } finally {
      await this.lock.release();
    }
  }

  /** The records of every block of `chain`. */
  private runOf(chain: readonly Block[]): RecordRun {
    if (chain.length === 0) throw new RangeError("cannot save an empty chain");
    const from = 0;
    const records = chain.map((b) => this.codec.encodeRecord(b));
    const starts: number[] = [];
    let at = 0;
    for (const record of records) {
      starts.push(at);
      at += record.length;
    }
    const hashes = Buffer.concat(chain.map((b) => Buffer.from(hashBlock(b), "hex")));
    return recordRun(from, [Buffer.concat(records)], starts, hashes);
  }

  private async saveNow(run: RecordRun, dirtyFrom: number): Promise<void> {
    if (this.closed) throw new Error(`${this.path}: the chain store is closed`);
    const length = run.from + run.starts.length;
    if (length === 0) throw new RangeError("cannot save an empty chain");
    const from = Math.max(0, Math.min(Math.floor(dirtyFrom), this.offsets.length, length));
    if (from === length && from === this.offsets.length) return;
    if (from < run.from) {
      // An earlier save failed: the blocks between are not in this run (the caller marks them again).
      throw new Error(
        `${this.path}: the file holds ${this.offsets.length} block(s), the save starts at block ${run.from}`,
      );
    }
    if (from < this.offsets.length) await this.truncateAt(from);

    // Records before `from` are on disk already (an earlier save of this run's blocks).
    const skip = from - run.from;
    const total = run.pieces.reduce((sum, piece) => sum + piece.length, 0);
    const first = run.starts[skip] ?? total;
    const pieces = piecesFrom(run.pieces, first);
    const at = this.size + total - first;
    try {
      let position = this.size;
      for (const piece of pieces) {
        await writeAllAt(this.handle, piece, position);
        position += piece.length;
      }
      await this.handle.datasync();
    } catch (err) {
      // Leave the file as the in-memory state describes it, so the next save can retry.
      await this.handle.truncate(this.size).catch(() => undefined);
      throw err;
    }
    // In the thread pool with the addon (the pieces stay as they are): a sync saving as it
    // goes hashes every byte it brought, and its event loop checks the next page meanwhile.
    let hashed = this.size;
    for (const piece of pieces) {
      await this.checkpoints.extend(this.hasher, hashed, piece);
      hashed += piece.length;
    }
    const count = run.starts.length - skip;
    this.offsets.pushShifted(
      skip === 0 ? run.starts : run.starts.slice(skip),
      count,
      this.size - first,
    );
    this.size = at;
    await this.marks.replaceFrom(from, [marksOf(run.hashes.subarray(skip * HASH_BYTES))]);
    await this.updateHashFile();
  }

  /**
   * Drops records `from` onwards and rehashes what is left from the file:
   * from the digest's latest checkpoint below the cut, else from the start.
   * The .hash first covers only the records that stay: a crash before the
   * new branch is written then leaves a file that merely grew since.
   */
  private async truncateAt(from: number): Promise<void> {
    const size = this.offsets.at(from) ?? this.size;
    if (this.knownChunks) this.knownChunks.below = Math.min(this.knownChunks.below, size);
    this.hasher = await this.hashPrefix(size);
    await this.updateHashFile();
    await this.marks.replaceFrom(from, []);
    await this.handle.truncate(size);
    this.offsets.truncate(from);
    this.size = size;
  }

  /** The running digest of the file's first `size` bytes (checkpoints past it dropped, new ones kept). */
  private async hashPrefix(size: number): Promise<RunningDigest> {
    const known = this.checkpoints.cutAt(size);
    const hasher = known?.digest ?? newDigest();
    const from = known?.position ?? 0;
    const chunk = Buffer.allocUnsafe(Math.min(REHASH_CHUNK, Math.max(size - from, 1)));
    for (let pos = from; pos < size; ) {
      const { bytesRead } = await this.handle.read(
        chunk,
        0,
        Math.min(chunk.length, size - pos),
        pos,
      );
      if (bytesRead === 0) throw new Error(`${this.path}: the file is shorter than expected`);
      // In the thread pool with the addon: this thread serves meanwhile.
      await this.checkpoints.extend(hasher, pos, chunk.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return hasher;
  }

  private digest(): string {
    return this.hasher.hex();
  }

  /**
   * Writes the file's digest to its .hash while the .hash is this file's: a
   * node started meanwhile on another chain file of the same name (its
   * converted copy) took the .hash over, and this file is then checked in
   * full at its next start instead of being refused.
   */
  private async updateHashFile(): Promise<void> {
    if (!this.ownsHash) return;
    if ((await readChainHash(this.path)).otherOwner !== null) {
      this.ownsHash = false;
      return;
    }
    await writeHashFile(this.hashPath, this.digest());
  }

  /**
   * The .hash covers the bytes written by the last backup. Every record not
   * vouched for by it was just validated, so: a file that matches it is as
   * saved; a file whose covered part matches and that has more records after
   * it grew by a save cut short by a crash (its .hash is brought up to date);
   * a file whose covered part differs was changed behind the node's back,
   * which stops the start naming the first block that changed (from the
   * marks), unless the user accepts it.
   */
  private async checkCoverage(
    chain: ChainView,
    ownMarks: boolean,
    chainHash: ChainHash,
    opts: ChainStoreOptions,
    warn: (msg: string) => void,
  ): Promise<void> {
    const digest = this.digest();
    const stored = chainHash.digest;
    const markCount = ownMarks ? this.marks.length : 0;
    if (stored === digest || stored === null) {
      if (markCount !== chain.length) await this.rewriteMarks(chain);
      if (chainHash.otherOwner !== null) {
        warn(
          `${this.hashPath} vouched for ${chainHash.otherOwner}, another chain file beside ${this.path}; ${this.path} was checked in full and the .hash now vouches for it (${hashOwnerPath(this.path)} says which file)`,
        );
      }
      if (stored === null || !chainHash.recorded) await claimHashFile(this.path, digest);
      return;
    }
    const covered = this.coveredRecords(stored);
    if (covered !== null) {
      warn(
        `${this.path}: ${chain.length - covered} block(s) after block ${covered - 1} were written after the last .hash update (a save cut short); they are valid, so the .hash now covers them`,
      );
    } else {
      const storedMarks = ownMarks ? await this.marks.readAll() : Buffer.alloc(0);
      const changed = firstChangedBlock(chain, storedMarks);
      const which =
        changed === null
          ? `the blocks its .hash covers changed (the first changed block cannot be named: ${this.marks.path} holds no marks of them)`
          : changed >= chain.length
            ? `block ${changed} and later, covered by its .hash, are missing`
            : `block ${changed} changed since the last backup (the first block that differs from what its .hash covers)`;
      if (!opts.acceptModifiedChain) {
        throw new ChainLoadError(
          "MODIFIED_CHAIN",
          this.path,
          `${which}. The file was left as it is; if the change is wanted, start with --accept-modified-chain (the whole chain is validated either way)`,
        );
      }
      warn(`${this.path}: ${which}; taken as it is (--accept-modified-chain, fully validated)`);
    }
    await this.rewriteMarks(chain);
    if (chainHash.recorded) await writeHashFile(this.hashPath, digest);
    else await claimHashFile(this.path, digest);
  }

  /**
   * How many leading records the stored digest covers exactly, or null when
   * no prefix matches: the records read from the file a few megabytes at a time.
   */
  private coveredRecords(stored: string): number | null {
    const hasher = createHash("sha256");
    const count = this.offsets.length;
    const endOf = (i: number) => this.offsets.at(i + 1) ?? this.size;
    hasher.update(this.file.read(0, this.offsets.at(0) ?? 0));
    for (let from = 0; from < count - 1; ) {
      let to = from + 1;
      while (to < count - 1 && endOf(to) - (this.offsets.at(from) as number) <= REHASH_CHUNK * 16) {
        to++;
      }
      const base = this.offsets.at(from) as number;
      const bytes = this.file.read(base, endOf(to - 1));
      for (let i = from; i < to; i++) {
        hasher.update(bytes.subarray((this.offsets.at(i) as number) - base, endOf(i) - base));
        if (hasher.copy().digest("hex") === stored) return i + 1;
      }
      from = to;
    }
    return null;
  }

  private async rewriteMarks(chain: ChainView): Promise<void> {
    await this.marks.replaceFrom(0, [chain.hashPrefixes(MARK_BYTES)]);
  }
}

/** The loaded chain as the marks need it: its length and the first bytes of each block's hash. */
interface ChainView {
  readonly length: number;
  /** The first `size` bytes of every block's hash, one after another. */
  hashPrefixes(size: number): Buffer;
}

/** Index of the first block whose mark differs (or that is missing), or null when the marks name none. */
function firstChangedBlock(chain: ChainView, marks: Buffer): number | null {
  const count = marks.length / MARK_BYTES;
  const own = chain.hashPrefixes(MARK_BYTES);
  for (let i = 0; i < Math.min(count, chain.length); i++) {
    const at = i * MARK_BYTES;
    if (marks.compare(own, at, at + MARK_BYTES, at, at + MARK_BYTES) !== 0) return i;
  }
  return count > chain.length ? chain.length : null;
}

/**
 * The loaded chain for the marks: from the marks its index took (the start of
 * a file that has none), those it left filled in from the chain; else the
 * chain's own (read from the file when asked).
 */
function marksView(records: BlockRecords, marks: Buffer | null, unmarked: number[]): ChainView {
  if (marks === null) return records;
  const length = records.length;
  for (const index of [...unmarked, length - 1]) {
    (records.hashBytesAt(index) as Buffer).copy(marks, index * MARK_BYTES, 0, MARK_BYTES);
  }
  return { length, hashPrefixes: () => marks.subarray(0, length * MARK_BYTES) };
}

/**
 * The vouched-for index of a chain file from the snapshot its last clean stop
 * left, when the file's bytes are the ones the `.hash` holds (`stored`): the
 * snapshot's own (every chunk checked), or, for a file that grew since (saves,
 * then a crash before the next clean stop), that index and digest carried on
 * over the records after it, which must come to `stored`. Else why not: the
 * caller then reads the whole file.
 */
async function indexFromSnapshot(
  path: string,
  codec: ChainCodec,
  stored: string,
  native: NativeChainIndex | null,
): Promise<
  | {
      indexed: IndexedFile;
      blocksAfter: number;
      checkpoints: [number, string][];
      chunks: KnownChunks;
    }
  | { why: string }
> {
  const snapshot = await readIndexSnapshot(path, codec.format, stored, native);
  if (typeof snapshot === "string") return { why: snapshot };
  const count = snapshot.index.count;
  if (snapshot.digestHex === stored && snapshot.index.size === (await fileSize(path))) {
    return {
      indexed: snapshot,
      blocksAfter: 0,
      checkpoints: snapshot.checkpoints,
      chunks: snapshot.chunks,
    };
  }
  const grown = await indexChainFileAfter(path, codec, native, snapshot);
  if (grown === null || grown.digest.hex() !== stored) {
    return { why: "the file changed after the part it covers, or its .hash does not cover it" };
  }
  return {
    indexed: grown,
    blocksAfter: grown.index.count - count,
    checkpoints: snapshot.checkpoints,
    chunks: snapshot.chunks,
  };
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Whether a chain file has a marks file with any mark in it. */
async function hasMarks(path: string): Promise<boolean> {
  return stat(marksFilePath(path)).then(
    (info) => info.size >= MARK_BYTES,
    () => false,
  );
}

/** The bytes of `pieces` (one after another) from byte `skip` on, as pieces (views). */
function piecesFrom(pieces: readonly Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  let left = skip;
  for (const piece of pieces) {
    if (left >= piece.length) {
      left -= piece.length;
      continue;
    }
    out.push(left > 0 ? piece.subarray(left) : piece);
    left = 0;
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** The torn last record of a file too large to be read whole: where it starts, its bytes, what is wrong with it. */
interface TornLargeTail {
  at: number;
  bytes: Buffer;
  reason: string;
}

/**
 * Where the torn last record of a file too large to be read whole starts,
 * and what is wrong with it (the codec's own words, as for a smaller file);
 * null when the file is not sound up to one last record cut short (damage,
 * another program's file): the start then fails naming the problem. A JSON
 * line that lacks only its newline is cut too (a smaller file gets it added).
 */
async function tornTailOfLargeFile(
  path: string,
  file: RecordFile,
  codec: ChainCodec,
  native: NativeChainIndex | null,
): Promise<TornLargeTail | null> {
  const at = await tornTailStart(path, codec, native);
  if (at === null || at <= codec.header.length) return null;
  // At most one record's bytes (the framing before them is sound).
  const bytes = file.read(at, await fileSize(path));
  const sound = codec.soundPart(Buffer.concat([codec.header, bytes]), path);
  if (sound.end !== codec.header.length) return null;
  const reason =
    sound.torn?.reason ?? (sound.completion ? "the last line lacks its newline" : null);
  return reason === null ? null : { at, bytes, reason };
}

/** Saves the bytes a load is about to cut off as `<path>.<ISO time>.torn`; returns that path. */
async function keepTornTail(path: string, bytes: Buffer): Promise<string> {
  const stamp = new Date().toISOString().replaceAll(":", "-");
  let copy = `${path}.${stamp}.torn`;
  for (let n = 1; await exists(copy); n++) copy = `${path}.${stamp}-${n}.torn`;
  await writeFile(copy, bytes, { flag: "wx" });
  return copy;
}

/**
 * Moves the chain file (when there) and its .hash aside as `<path>.<ISO time>.bak`; returns the new chain
 * path. A .hash (and its marks) that vouches for another chain file beside it stays; the
 * index snapshot (named after the full chain path) is always this file's.
 */
async function moveToBackup(path: string): Promise<string> {
  const stamp = new Date().toISOString().replaceAll(":", "-");
  let backup = `${path}.${stamp}.bak`;
  for (let n = 1; await exists(backup); n++) backup = `${path}.${stamp}-${n}.bak`;
  const ownsHash = (await readChainHash(path)).otherOwner === null;
  if (await exists(path)) await rename(path, backup);
  const hashes = [hashFilePath(path), hashOwnerPath(path), marksFilePath(path)];
  for (const beside of [...(ownsHash ? hashes : []), indexSnapshotPath(path)]) {
    if (await exists(beside)) await rename(beside, `${beside}${backup.slice(path.length)}`);
  }
  await syncDirectory(dirname(path));
  return backup;
}
