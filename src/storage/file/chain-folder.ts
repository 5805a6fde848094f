import { constants } from "node:fs";
import { access, mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

/** The chain file's path or folder cannot be used: what is wrong, in one line. */
export class ChainPathError extends Error {
  readonly code = "CHAIN_PATH";
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ChainPathError";
  }
}

/**
 * Checks, before anything is opened there, that the chain file's folder
 * exists (created when missing) and is a writable folder, and that the chain
 * path itself is not a folder. Throws ChainPathError naming the cause.
 */
export async function prepareChainFolder(chainPath: string): Promise<void> {
  const dir = dirname(chainPath);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOTDIR" || code === "EEXIST"
        ? `${dir} is not a folder (a file of that name, or above it, is in the way)`
        : `cannot create the folder ${dir}: ${code ?? (err as Error).message}`;
    throw new ChainPathError(chainPath, `${chainPath}: ${why}`, { cause: err });
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EROFS" ? "it is on a read-only file system" : code;
    throw new ChainPathError(
      chainPath,
      `${chainPath}: the folder ${dir} is not writable (${why})`,
      {
        cause: err,
      },
    );
  }
  const info = await stat(chainPath).catch(() => null);
  if (info?.isDirectory()) {
    throw new ChainPathError(chainPath, `${chainPath} is a folder, not a chain file`);
  }
}
