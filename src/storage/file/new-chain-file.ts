import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, link, lstat, mkdir, open, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Block } from "../../core/block.js";
import { type ChainFormat, codecFor } from "../codecs/chain-format.js";
import { syncDirectory } from "./atomic-write.js";
import { marksFilePath } from "./block-marks.js";
import { claimHashFile, hashFilePath, readChainHash } from "./hash-file.js";

/** A new chain file would replace a file that is already there. */
export class ChainExistsError extends Error {
  readonly code = "CHAIN_EXISTS";
  constructor(readonly path: string) {
    super(`${path} already exists; a new chain is never written over an existing file`);
    this.name = "ChainExistsError";
  }
}

/**
 * Throws ChainExistsError if `path` exists, or a `.hash` that vouches for it
 * (one left by a chain file of that very name). A `.hash` its record says
 * is another chain file's (a `chain.json` beside a new `chain.bin`) does not
 * stand in the way: the new file takes it over, and the other file is
 * checked in full at its next start.
 */
export async function assertNoChainAt(path: string): Promise<void> {
  const otherOwnsHash = (await readChainHash(path)).otherOwner !== null;
  for (const candidate of otherOwnsHash ? [path] : [path, hashFilePath(path)]) {
    try {
      await lstat(candidate);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    throw new ChainExistsError(
      candidate === path ? path : `${candidate} (the .hash file of ${path})`,
    );
  }
}

/**
 * Writes a new chain file and its `.hash`, creating missing folders; never
 * replaces a file: the bytes go to a temp file, fsynced, then hard-linked to
 * `path`, which fails if anything appeared there meanwhile.
 */
export async function writeNewChainFile(
  path: string,
  format: ChainFormat,
  chain: readonly Block[],
): Promise<{ bytes: number; digest: string }> {
  await assertNoChainAt(path);
  const codec = codecFor(format);
  const bytes = Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await linkExclusive(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  await syncDirectory(dirname(path));
  const digest = createHash("sha256").update(bytes).digest("hex");
  await vouchForNewChainFile(path, digest);
  return { bytes: bytes.length, digest };
}

/**
 * Makes the `.hash` beside a chain file just written whole vouch for it, and
 * drops the block marks beside it, which may be those of another chain file
 * of the same name: the first start writes them anew.
 */
export async function vouchForNewChainFile(path: string, digest: string): Promise<void> {
  await rm(marksFilePath(path), { force: true });
  await claimHashFile(path, digest);
}

/** Makes `temp` appear at `path` unless something is there; a copy where hard links are not allowed. */
async function linkExclusive(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new ChainExistsError(path);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw err;
    await copyFile(temp, path, constants.COPYFILE_EXCL).catch((copyErr: NodeJS.ErrnoException) => {
      throw copyErr.code === "EEXIST" ? new ChainExistsError(path) : copyErr;
    });
  }
}
