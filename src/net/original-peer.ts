/**
 * How the original Python node answers where this node's peers answer
 * otherwise: its /neighbours and /data nest a jsonpickle string, and it has
 * no /status (its catch-all 404 says "'status' is not a valid endpoint!").
 * Such a peer is of another network (its block hashes cover other bytes), not
 * a misbehaving one of ours.
 */
export function answersLikeOriginal(path: string, status: number, body: unknown): boolean {
  const route = path.split("?")[0] ?? path;
  if (status === 404) {
    const message = (body as { message?: unknown } | null)?.message;
    return route === "/status" && message === "'status' is not a valid endpoint!";
  }
  if (status !== 200) return false;
  if (route === "/data") return typeof body === "string" && body.includes('"py/');
  if (route === "/neighbours") {
    const nested = (body as { neighbours?: unknown } | null)?.neighbours;
    return typeof nested === "string" && nested.includes('"py/');
  }
  return false;
}

/** The one log line for such a peer (SPEC: recognised, not kept, not banned). */
export const ORIGINAL_PEER_REASON =
  "runs the original Python node; chains cannot be shared: block hashes differ";
