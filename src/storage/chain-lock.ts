import { randomBytes } from "node:crypto";
import { unlinkSync } from "node:fs";
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/** The lock file of a chain file: `<chain_path>.lock`, holding the owner's pid. */
export function lockFilePath(chainPath: string): string {
  return `${chainPath}.lock`;
}

/** Another live process holds the chain file. */
export class ChainLockedError extends Error {
  readonly code = "CHAIN_LOCKED";
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(
      `${path} is in use by process ${pid} (lock file ${lockFilePath(path)}); ` +
        `stop that process first, or give another chain path`,
    );
    this.name = "ChainLockedError";
  }
}

/** Chain paths locked by this process, so that a second owner in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * The exclusive lock on a chain file, for as long as a node (or a command
 * writing the file) holds it. The lock file is created whole (written beside
 * it, then hard-linked into place, which fails if it exists), so a reader
 * never sees it half-written. A lock whose pid no longer runs is stale and
 * taken over: it is renamed away first (only one of two racing takers can
 * rename it), and put back if it turns out to have been a live owner's.
 */
export class ChainLock {
  private released = false;
  private readonly onExit = () => this.releaseSync();

  private constructor(
    readonly chainPath: string,
    readonly lockPath: string,
    private readonly key: string,
  ) {
    process.once("exit", this.onExit);
  }

  /** Takes the lock or throws ChainLockedError naming the holder's pid. */
  static async acquire(chainPath: string): Promise<ChainLock> {
    const lockPath = lockFilePath(chainPath);
    const key = resolve(lockPath);
    if (heldHere.has(key)) throw new ChainLockedError(chainPath, process.pid);
    // Reserved at once: a second acquire in this process, even a concurrent one, is refused.
    heldHere.add(key);
    const temp = `${lockPath}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
    let taken = false;
    try {
      await mkdir(dirname(lockPath), { recursive: true });
      await writeFile(temp, `${process.pid}\n`);
      // A few rounds: each one either takes the lock, finds a live owner, or clears a stale lock.
      for (let round = 0; round < 5; round++) {
        if (await tryLink(temp, lockPath)) {
          taken = true;
          return new ChainLock(chainPath, lockPath, key);
        }
        const holder = await readHolder(lockPath);
        if (holder === null) continue; // gone meanwhile (released): try again
        if (isAlive(holder)) throw new ChainLockedError(chainPath, holder);
        await clearStale(lockPath, holder);
      }
      throw new Error(`${lockPath}: could not take the lock (it keeps changing hands)`);
    } finally {
      if (!taken) heldHere.delete(key);
      await rm(temp, { force: true });
    }
  }

  /** Removes the lock file (if it is still ours). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    process.off("exit", this.onExit);
    heldHere.delete(this.key);
    if ((await readHolder(this.lockPath)) === process.pid) await rm(this.lockPath, { force: true });
  }

  /** The last resort on process exit: no await is possible there. */
  private releaseSync(): void {
    if (this.released) return;
    this.released = true;
    try {
      unlinkSync(this.lockPath);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

async function tryLink(temp: string, lockPath: string): Promise<boolean> {
  try {
    await link(temp, lockPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** The pid a lock file names; null when it is missing; 0 when its content is not a pid. */
async function readHolder(lockPath: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(lockPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const pid = Number.parseInt(text.trim().split(/\s+/)[0] ?? "", 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

/**
 * Whether a process with this pid runs. Our own pid counts as not running:
 * this process holds no lock on the path (checked before), so the file is a
 * previous run's that happened to have the same pid (common in containers).
 */
function isAlive(pid: number): boolean {
  if (pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Renames a stale lock away; if what was renamed is not the stale one after all, puts it back. */
async function clearStale(lockPath: string, stalePid: number): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // another taker was first
    throw err;
  }
  const moved = await readHolder(aside);
  if (moved !== stalePid && moved !== null && isAlive(moved)) {
    // A live owner took over between our read and our rename: give its lock back.
    await link(aside, lockPath).catch(() => undefined);
  }
  await rm(aside, { force: true });
}
