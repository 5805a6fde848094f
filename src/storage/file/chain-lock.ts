import { randomBytes } from "node:crypto";
import { unlinkSync } from "node:fs";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
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
 * taken over; only the holder of a second, short-lived lock
 * (`<lock>.takeover`) may remove a stale lock, after checking under it that
 * the lock is still the same stale one, so two processes starting at once
 * can never both take it.
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
      // The pid on the first line; a random second line tells this take from any other.
      await writeFile(temp, `${process.pid}\n${randomBytes(8).toString("hex")}\n`);
      const deadline = Date.now() + ACQUIRE_PATIENCE_MS;
      for (let round = 0; Date.now() < deadline || round < 3; round++) {
        if (await tryLink(temp, lockPath)) {
          taken = true;
          return new ChainLock(chainPath, lockPath, key);
        }
        const holder = await readHolder(lockPath);
        if (holder === null) continue; // released meanwhile: try again
        if (isAlive(holder.pid)) throw new ChainLockedError(chainPath, holder.pid);
        if (!(await removeStale(lockPath, holder.text, temp))) await pause();
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
    if ((await readHolder(this.lockPath))?.pid === process.pid) {
      await rm(this.lockPath, { force: true });
    }
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

/** How long an acquire waits on others taking over a stale lock at the same moment. */
const ACQUIRE_PATIENCE_MS = 3_000;

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
}

/** A lock file's pid and whole text; null when it is missing; pid 0 when the text is no pid. */
async function readHolder(path: string): Promise<{ pid: number; text: string } | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const pid = Number.parseInt(text.trim().split(/\s+/)[0] ?? "", 10);
  return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : 0, text };
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

/**
 * Removes the stale lock whose text is `staleText`, holding the takeover
 * lock meanwhile; false when another process holds the takeover lock (the
 * caller tries again shortly). A takeover lock left by a process that died
 * in those few milliseconds is itself removed.
 */
async function removeStale(lockPath: string, staleText: string, temp: string): Promise<boolean> {
  const takeover = `${lockPath}.takeover`;
  if (!(await tryLink(temp, takeover))) {
    const holder = await readHolder(takeover);
    if (holder && !isAlive(holder.pid)) await rm(takeover, { force: true });
    return false;
  }
  try {
    // Under the takeover lock nobody else removes the lock file, and its dead owner cannot:
    // if it still holds the stale text, it is the stale lock.
    if ((await readHolder(lockPath))?.text === staleText) await rm(lockPath, { force: true });
    return true;
  } finally {
    await rm(takeover, { force: true });
  }
}
