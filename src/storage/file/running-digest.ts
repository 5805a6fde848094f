import { createHash, type Hash } from "node:crypto";
import { loadNativeAddon, NATIVE_ENV, nativeTurnedOff } from "../../config/native-addon.js";

/** The SHA-256 of a chain file so far (what its .hash holds), which saves go on extending. */
export interface RunningDigest {
  update(bytes: Uint8Array): void;
  /** The hex digest of every byte given so far; the digest goes on. */
  hex(): string;
}

/** The addon's running SHA-256 (native/file-digest.c): its state lives in a Buffer. */
export interface NativeFileDigest {
  readonly engine: string;
  digestCreate(): Buffer;
  digestUpdate(state: Buffer, bytes: Uint8Array): void;
  /** Hashes `bytes` in the libuv thread pool; neither buffer may change until `done` runs. */
  digestUpdateAsync(state: Buffer, bytes: Uint8Array, done: (err: string | null) => void): void;
  /** As digestUpdateAsync, queued before the earlier ones are done: they run in the order queued. */
  digestUpdateChained?(state: Buffer, bytes: Uint8Array, done: (err: string | null) => void): void;
  digestFinal(state: Buffer): Buffer;
  /** The SHA-256 of `length` bytes of the open file `fd` from `offset` on, read and hashed in the thread pool. */
  digestFileRange?(
    fd: number,
    offset: number,
    length: number,
    done: (err: string | null, digest: Buffer | null) => void,
  ): void;
}

/**
 * The addon's running SHA-256, or null where node:crypto hashes instead: the
 * addon is not built, BLOCKCHAIN_NATIVE turns it off, or the CPU has no SHA
 * extensions (OpenSSL's assembly then beats the addon's portable C).
 */
export function nativeFileDigest(setting = process.env[NATIVE_ENV]): NativeFileDigest | null {
  if (nativeTurnedOff(setting)) return null;
  const native = loadNativeAddon();
  if (native instanceof Error || typeof native.digestUpdateAsync !== "function") return null;
  return native.engine === "sha-ni" ? (native as unknown as NativeFileDigest) : null;
}

class CryptoDigest implements RunningDigest {
  private readonly hash: Hash = createHash("sha256");

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  hex(): string {
    return this.hash.copy().digest("hex");
  }
}

class NativeDigest implements RunningDigest {
  readonly state: Buffer;

  constructor(
    private readonly native: NativeFileDigest,
    state: Buffer = native.digestCreate(),
  ) {
    this.state = state;
  }

  update(bytes: Uint8Array): void {
    this.native.digestUpdate(this.state, bytes);
  }

  /** As update, in the thread pool: `bytes` must not change until it resolves. */
  updateAsync(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.native.digestUpdateAsync(this.state, bytes, (err) =>
        err === null ? resolve() : reject(new Error(err)),
      ),
    );
  }

  /** As updateAsync, queued at once: updates queued so run in the order queued, none waiting for this thread. */
  updateChained(bytes: Uint8Array): Promise<void> {
    const chained = this.native.digestUpdateChained;
    if (!chained) return this.updateAsync(bytes);
    return new Promise((resolve, reject) =>
      chained.call(this.native, this.state, bytes, (err) =>
        err === null ? resolve() : reject(new Error(err)),
      ),
    );
  }

  hex(): string {
    return this.native.digestFinal(this.state).toString("hex");
  }
}

/** An empty running digest (the addon's where given, else node:crypto's). */
export function newDigest(native: NativeFileDigest | null = nativeFileDigest()): RunningDigest {
  return native ? new NativeDigest(native) : new CryptoDigest();
}

/**
 * The state of a running digest as bytes (the addon's), to be taken up again
 * by digestFromState in another process on this machine; null for
 * node:crypto's, whose state cannot leave it.
 */
export function digestStateOf(digest: RunningDigest): Buffer | null {
  return digest instanceof NativeDigest ? Buffer.from(digest.state) : null;
}

/**
 * A running digest going on from `state` (from digestStateOf, copied), or null
 * when the addon cannot take it (not built, turned off, another layout).
 */
export function digestFromState(
  state: Buffer,
  native: NativeFileDigest | null = nativeFileDigest(),
): RunningDigest | null {
  if (!native) return null;
  const digest = new NativeDigest(native, Buffer.from(state));
  try {
    digest.hex();
  } catch {
    return null;
  }
  return digest;
}

/**
 * The SHA-256 of each of `ranges` of the open file `fd`, read and hashed in
 * the thread pool (one range a pool thread: the ranges digest side by side);
 * null where the addon cannot (the caller then reads and hashes the file
 * itself).
 */
export function digestFileRanges(
  fd: number,
  ranges: readonly { offset: number; length: number }[],
  native: NativeFileDigest | null = nativeFileDigest(),
): Promise<Buffer>[] | null {
  const digestRange = native?.digestFileRange;
  if (!native || !digestRange) return null;
  return ranges.map(
    ({ offset, length }) =>
      new Promise<Buffer>((resolve, reject) =>
        digestRange.call(native, fd, offset, length, (err, digest) =>
          err === null && digest !== null ? resolve(digest) : reject(new Error(err ?? "no digest")),
        ),
      ),
  );
}

/**
 * The SHA-256 of each of `pieces` (buffers that must not change until the
 * promises settle): in the thread pool side by side with the addon, else here
 * and now.
 */
export function digestPieces(
  pieces: readonly Uint8Array[],
  native: NativeFileDigest | null = nativeFileDigest(),
): Promise<Buffer>[] {
  return pieces.map(async (piece) => {
    if (!native) return createHash("sha256").update(piece).digest();
    const digest = new NativeDigest(native);
    await digest.updateAsync(piece);
    return native.digestFinal(digest.state);
  });
}

/**
 * The running digest of `bytes`. With the addon it is computed in the thread
 * pool, so that the caller's thread can work on the same bytes meanwhile
 * (which it must not change until this resolves); without it, here and now.
 */
export async function digestOf(
  bytes: Uint8Array,
  native: NativeFileDigest | null = nativeFileDigest(),
): Promise<RunningDigest> {
  if (!native) {
    const digest = new CryptoDigest();
    digest.update(bytes);
    return digest;
  }
  const digest = new NativeDigest(native);
  await digest.updateAsync(bytes);
  return digest;
}

/**
 * Extends `digest` by `bytes`: in the thread pool when it is the addon's (the
 * caller's thread may work meanwhile; `bytes` must not change until this
 * resolves, and the next update must wait for it), else here and now.
 */
export async function extendDigest(digest: RunningDigest, bytes: Uint8Array): Promise<void> {
  if (digest instanceof NativeDigest) return digest.updateAsync(bytes);
  digest.update(bytes);
}

/**
 * Queues `bytes` for `digest` at once: with the addon they are hashed in the
 * thread pool after every update queued before (none of which need have
 * ended), so a pass over a file keeps the pool hashing while this thread
 * works; `bytes` must not change until the promise resolves. Without it,
 * here and now.
 */
export async function queueDigest(digest: RunningDigest, bytes: Uint8Array): Promise<void> {
  if (digest instanceof NativeDigest) return digest.updateChained(bytes);
  digest.update(bytes);
}
