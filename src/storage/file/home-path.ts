import { homedir } from "node:os";
import { join } from "node:path";

/**
 * A path with a leading `~` (alone or followed by a slash) taken as the
 * user's home, as the original did with Python's os.path.expanduser; a `~`
 * anywhere else is an ordinary character.
 */
export function expandHome(path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return join(homedir(), path.slice(2));
  return path;
}
