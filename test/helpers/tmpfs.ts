import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Mounts a tmpfs of `size` (e.g. "2m") on a fresh temp folder for `fn`,
 * unmounted and removed afterwards however `fn` ends. Resolves to a reason
 * string instead when the mount is not possible here (not root, no
 * CAP_SYS_ADMIN), for the test to skip with.
 */
export async function withTmpfs<T>(
  size: string,
  fn: (dir: string) => Promise<T>,
  opts: { readOnly?: boolean } = {},
): Promise<{ skipped: string } | { result: T }> {
  const dir = await mkdtemp(join(tmpdir(), "bc-tmpfs-"));
  const options = `size=${size},mode=0755${opts.readOnly ? ",ro" : ""}`;
  const mount = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], {
    encoding: "utf8",
  });
  if (mount.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    const why = (mount.stderr || mount.error?.message || `exit ${mount.status}`).trim();
    return { skipped: `cannot mount a tmpfs here (${why}); run as root to test a full disk` };
  }
  try {
    return { result: await fn(dir) };
  } finally {
    // Lazy unmount: a process the test started may still hold a file open for a moment.
    spawnSync("umount", ["-l", dir]);
    await rm(dir, { recursive: true, force: true });
  }
}
