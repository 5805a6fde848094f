import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait-for.js";

const SCRIPT = fileURLToPath(new URL("../../../test/helpers/fault_fs.py", import.meta.url));
/** The system's Python (where apt-get puts python3-fusepy), else the first on the PATH. */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** A folder on a FUSE passthrough (test/helpers/fault_fs.py) whose writes fail on demand. */
export interface FaultFolder {
  dir: string;
  /** From the next operation on, write, fsync, create and rename fail with EIO (true), or work (false). */
  failing(on: boolean): Promise<void>;
}

/**
 * Mounts the fault file system on a fresh temp folder for `fn`, unmounted
 * and removed afterwards however `fn` ends. Resolves to a reason instead when
 * FUSE is not there (no /dev/fuse, no python3-fusepy, not allowed to mount),
 * for the test to skip with.
 */
export async function withFaultFolder<T>(
  fn: (folder: FaultFolder) => Promise<T>,
): Promise<{ skipped: string } | { result: T }> {
  if (!existsSync("/dev/fuse")) return { skipped: "no /dev/fuse here" };
  const probe = spawnSync(
    PYTHON,
    ["-c", "try:\n import fuse\nexcept ImportError:\n import fusepy"],
    {
      encoding: "utf8",
    },
  );
  if (probe.status !== 0) {
    return { skipped: "python3 cannot import fuse (apt-get install python3-fusepy fuse3)" };
  }
  const base = await mkdtemp(join(tmpdir(), "bc-fault-fs-"));
  const backing = join(base, "backing");
  const dir = join(base, "mnt");
  const control = join(base, "control");
  await mkdir(backing);
  await mkdir(dir);
  await writeFile(control, "ok");
  let child: ChildProcess | null = null;
  const mounted = () => readFileSync("/proc/mounts", "utf8").includes(` ${dir} `);
  try {
    child = spawn(PYTHON, [SCRIPT, backing, dir, control], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<void>((resolve) => child?.once("exit", () => resolve()));
    try {
      await waitFor(() => mounted() || child?.exitCode !== null, {
        timeoutMs: 20_000,
        what: "the fault file system to be mounted",
      });
    } catch (err) {
      return { skipped: `cannot mount the fault file system: ${(err as Error).message}` };
    }
    if (!mounted()) {
      await exited;
      return { skipped: `cannot mount the fault file system here: ${stderr.trim()}` };
    }
    const folder: FaultFolder = {
      dir,
      failing: async (on) => {
        // Read by the file system at every write, fsync, create and rename.
        await writeFile(control, on ? "fail" : "ok");
      },
    };
    return { result: await fn(folder) };
  } finally {
    await writeFile(control, "ok").catch(() => undefined);
    // Lazy: a process the test started may still hold a file open for a moment.
    if (mounted()) spawnSync("umount", ["-l", dir]);
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await rm(base, { recursive: true, force: true });
  }
}
