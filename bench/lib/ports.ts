import { createServer, type Server } from "node:net";

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
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (40_000 - count));
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
