import { readFile } from "node:fs/promises";
import { join, parse } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";

/** The `.hash` file beside a chain file: the chain path without its extension, plus ".hash". */
export function hashFilePath(chainPath: string): string {
  const { dir, name, ext } = parse(chainPath);
  // A chain file that is itself named *.hash must not have its hash written over it.
  if (ext === ".hash") return `${chainPath}.hash`;
  return join(dir, `${name}.hash`);
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
