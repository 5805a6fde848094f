import { readFile, rm } from "node:fs/promises";
import { basename, join, parse } from "node:path";
import { syncDirectory, writeFileAtomic } from "./atomic-write.js";

/** The `.hash` file beside a chain file: the chain path without its extension, plus ".hash". */
export function hashFilePath(chainPath: string): string {
  const { dir, name, ext } = parse(chainPath);
  // A chain file that is itself named *.hash (or like the record beside one) must not have
  // its hash, or the record of whose hash it is, written over it.
  if (ext === ".hash" || ext === HASH_OWNER_SUFFIX) return `${chainPath}.hash`;
  return join(dir, `${name}.hash`);
}

const HASH_OWNER_SUFFIX = ".hash-of";

/**
 * The record beside a `.hash` naming the chain file it vouches for
 * (`chain.hash-of` holding `chain.json`): a `chain.json` and its converted
 * `chain.bin` share `chain.hash` (SPEC section 5 names it after the path
 * without its extension), and the record tells whose digest it holds.
 */
export function hashOwnerPath(chainPath: string): string {
  return `${hashFilePath(chainPath).slice(0, -".hash".length)}${HASH_OWNER_SUFFIX}`;
}

/** The hex digest a `.hash` file holds, or null when it is missing. */
export async function readHashFile(path: string): Promise<string | null> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Replaces the `.hash` file atomically with `digest` alone (no newline, as the original wrote it). */
export async function writeHashFile(path: string, digest: string): Promise<void> {
  await writeFileAtomic(path, digest);
}

/** What the `.hash` beside a chain file says about that file. */
export interface ChainHash {
  /** The digest the `.hash` vouches for this file with; null when it has none or vouches for another file. */
  digest: string | null;
  /** The file the `.hash` vouches for when that is another one (its name in the folder). */
  otherOwner: string | null;
  /** Whether the record beside the `.hash` names this file (false: absent, or another file). */
  recorded: boolean;
}

/**
 * Reads the `.hash` of `chainPath` and the record of whose it is. A `.hash`
 * without a record (written before the record existed) is taken as this
 * file's, as it always was.
 */
export async function readChainHash(chainPath: string): Promise<ChainHash> {
  const owner = await readHashFile(hashOwnerPath(chainPath));
  const own = basename(chainPath);
  if (owner !== null && owner !== own) return { digest: null, otherOwner: owner, recorded: false };
  return {
    digest: await readHashFile(hashFilePath(chainPath)),
    otherOwner: null,
    recorded: owner === own,
  };
}

/**
 * Makes the `.hash` vouch for `chainPath` with `digest`. The old `.hash` goes
 * first, then the record names this file, then the new digest is written: a
 * crash between any two steps leaves no `.hash` that one file's record
 * claims while it holds the other file's digest (a missing `.hash` means a
 * full check at the next start, never a refusal).
 */
export async function claimHashFile(chainPath: string, digest: string): Promise<void> {
  const hashPath = hashFilePath(chainPath);
  await rm(hashPath, { force: true });
  await syncDirectory(parse(hashPath).dir || ".");
  await writeFileAtomic(hashOwnerPath(chainPath), basename(chainPath));
  await writeHashFile(hashPath, digest);
}
