import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Writes `bytes` (or pieces, one after another) to `path` so that a crash
 * leaves either the old file or the new one, never a mix: a temp file beside
 * it (`temp`, else a name of its own), fsynced, renamed over it. With
 * `durable: false` nothing is fsynced: after a crash the new file may be
 * missing or short (for a cache whose reader checks it anyway).
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array | string | readonly Uint8Array[],
  opts: { durable?: boolean; temp?: string } = {},
): Promise<void> {
  const durable = opts.durable ?? true;
  const temp = opts.temp ?? `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await open(temp, "w");
    try {
      if (typeof bytes === "string" || !Array.isArray(bytes)) {
        await handle.writeFile(bytes as Uint8Array | string);
      } else {
        let position = 0;
        for (const piece of bytes as readonly Uint8Array[]) {
          await writeAllAt(handle, piece, position);
          position += piece.length;
        }
      }
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  if (durable) await syncDirectory(dirname(path));
}

/** The most one write call is asked for: Node refuses a length past 2^31 - 1. */
const WRITE_PIECE_BYTES = 1 << 30;

/**
 * Writes all of `bytes` at `position`: one write call may write only part of
 * them, and asks for at most 1 GiB.
 */
export async function writeAllAt(
  handle: FileHandle,
  bytes: Uint8Array,
  position: number,
): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const length = Math.min(bytes.length - done, WRITE_PIECE_BYTES);
    const { bytesWritten } = await handle.write(bytes, done, length, position + done);
    done += bytesWritten;
  }
}

/** Makes a rename or a new file in `dir` durable; a no-op where directories cannot be fsynced. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some platforms (Windows, some network file systems) refuse to fsync a directory.
  } finally {
    await handle?.close();
  }
}
