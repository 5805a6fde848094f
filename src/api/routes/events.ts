import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { DEFAULTS } from "../../config/config.js";
import type { ApiMetrics } from "../api-metrics.js";
import type { NodeApi, NodeEvents } from "../node-api.js";

const EVENT_NAMES = [
  "block",
  "data",
  "reorg",
  "neighbours",
] as const satisfies readonly (keyof NodeEvents)[];

/** GET /events: Server-Sent Events of blocks, pending messages, reorgs and neighbours. */
export function registerEventRoutes(
  app: FastifyInstance,
  node: NodeApi,
  metrics?: ApiMetrics,
): void {
  const open = new Set<ServerResponse>();
  const broadcast = (text: string) => {
    for (const res of open) {
      if (res.writableLength > DEFAULTS.maxEventBufferedBytes) res.destroy();
      else res.write(text);
    }
  };
  // One listener per event for every client, so the node's emitter does not grow with them.
  const listeners = EVENT_NAMES.map((name) => {
    const listener = (payload: unknown) =>
      broadcast(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    node.events.on(name, listener as never);
    return { name, listener };
  });
  const heartbeat = setInterval(() => broadcast(": keep-alive\n\n"), DEFAULTS.eventHeartbeatMs);
  heartbeat.unref();
  // preClose, not onClose: the streams must end cleanly before the server drops its connections.
  app.addHook("preClose", async () => {
    clearInterval(heartbeat);
    for (const { name, listener } of listeners) node.events.off(name, listener as never);
    for (const res of open) res.end();
  });

  app.get(
    "/events",
    {
      schema: {
        summary: "Server-Sent Events: block, data, reorg, neighbours",
        operationId: "streamEvents",
        tags: ["node"],
        produces: ["text/event-stream"],
        response: {
          200: {
            type: "string",
            description:
              "A stream of events, each with `id:`, `event:` (block, data, reorg, neighbours) and `data:` (JSON); send `Last-Event-ID` (or `?last_event_id=`) to resume",
          },
          429: { $ref: "Error" },
        },
      },
    },
    (_request, reply) => {
      if (open.size >= DEFAULTS.maxEventClients) {
        return reply.code(429).send({
          message: `this node serves at most ${DEFAULTS.maxEventClients} event streams at once; try again later`,
        });
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "access-control-allow-origin": "*",
      });
      res.write("retry: 2000\n: connected\n\n");
      open.add(res);
      metrics?.eventStreamClients.set(open.size);
      res.on("close", () => {
        open.delete(res);
        metrics?.eventStreamClients.set(open.size);
      });
    },
  );
}
