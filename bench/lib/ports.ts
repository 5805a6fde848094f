import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

/**
 * Where base ports are picked: below the system's range of ephemeral ports
 * (Linux: /proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default),
 * else above it. A port free when checked but inside that range can be taken
 * by an outgoing connection (the devnet's own nodes connect to each other)
 * before the node listens on it: "the port is in use".
 */
export function outsideEphemeral(count: number): [number, number] {
  let ephemeral = [32_768, 60_999];
  try {
    const range = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/);
    if (range.length === 2) ephemeral = range.map(Number);
  } catch {
    // Not Linux: the usual range.
  }
  const [first, last] = ephemeral as [number, number];
  if (first - count > 21_000) return [20_000, first - count];
  return [last + 1, 65_535 - count];
}

/** Whether `port` can be bound on 127.0.0.1 now; the server is kept open if so. */
function tryBind(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/**
 * A base port such that base .. base + count - 1 are all free on 127.0.0.1
 * right now (for `blockchain devnet --base-port`), tried at random places.
 */
export async function freePortRange(count: number): Promise<number> {
  const [low, high] = outsideEphemeral(count);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    const held: Server[] = [];
    for (let i = 0; i < count; i++) {
      const server = await tryBind(base + i);
      if (!server) break;
      held.push(server);
    }
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
    if (held.length === count) return base;
  }
  throw new Error(`found no ${count} consecutive free ports`);
}
