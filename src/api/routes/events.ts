import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { NodeApi, NodeEvents } from "../node-api.js";

const EVENT_NAMES = [
  "block",
  "data",
  "reorg",
  "neighbours",
] as const satisfies readonly (keyof NodeEvents)[];
/** A comment line every so often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/** GET /events: Server-Sent Events of blocks, pending messages, reorgs and neighbours. */
export function registerEventRoutes(app: FastifyInstance, node: NodeApi): void {
  const open = new Set<ServerResponse>();
  // preClose, not onClose: the streams must end cleanly before the server drops its connections.
  app.addHook("preClose", async () => {
    for (const res of open) res.end();
  });

  app.get(
    "/events",
    {
      schema: {
        summary: "Server-Sent Events: block, data, reorg, neighbours",
        produces: ["text/event-stream"],
      },
    },
    (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "access-control-allow-origin": "*",
      });
      res.write("retry: 2000\n: connected\n\n");
      const listeners = EVENT_NAMES.map((name) => {
        const listener = (payload: unknown) => {
          res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
        };
        node.events.on(name, listener as never);
        return { name, listener };
      });
      const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
      open.add(res);
      const cleanup = () => {
        clearInterval(heartbeat);
        for (const { name, listener } of listeners) node.events.off(name, listener as never);
        open.delete(res);
      };
      request.raw.on("close", cleanup);
      res.on("close", cleanup);
    },
  );
}
