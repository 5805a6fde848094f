import type { ServerResponse } from "node:http";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { DEFAULTS } from "../../config/config.js";
import type { ApiMetrics } from "../api-metrics.js";
import { type EventPosition, EventRing, parseEventId } from "../event-ring.js";
import type { NodeApi, NodeEvents } from "../node-api.js";

/** The node's events relayed one for one (blocks come as runs: see `onBlocks`). */
const EVENT_NAMES = [
  "data",
  "reorg",
  "neighbours",
  "seen",
] as const satisfies readonly (keyof NodeEvents)[];

/** GET /events: Server-Sent Events of blocks, pending messages, reorgs and neighbours. */
export function registerEventRoutes(
  app: FastifyInstance,
  node: NodeApi,
  metrics?: ApiMetrics,
): void {
  const open = new Set<ServerResponse>();
  const perAddress = new Map<string, number>();
  const broadcast = (text: string) => {
    for (const res of open) {
      if (res.writableLength > DEFAULTS.maxEventBufferedBytes) res.destroy();
      else res.write(text);
    }
  };
  const ring = new EventRing();
  // One listener per event for every client, so the node's emitter does not grow with them.
  const listeners: { name: keyof NodeEvents; listener: (...args: never[]) => void }[] =
    EVENT_NAMES.map((name) => {
      const listener = (payload: unknown) =>
        broadcast(ring.push(name, payload, lengthAfter(name, payload, node)));
      node.events.on(name, listener as never);
      return { name, listener };
    });
  // A `block` event per block. With no one connected, a run longer than the ring (a sync)
  // is numbered, not formatted: O(1) per run, not O(blocks); a client that resumes from
  // before it gets the newest blocks from the chain, as after any gap the ring cannot fill.
  const onBlocks = (joined: NodeEvents["blocks"][0]) => {
    if (open.size === 0 && joined.count > ring.capacity) {
      ring.skip(joined.count);
      return;
    }
    for (const block of joined.blocks()) broadcast(ring.push("block", block, block.index + 1));
  };
  node.events.on("blocks", onBlocks);
  listeners.push({ name: "blocks", listener: onBlocks });
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
        summary: "Server-Sent Events: block, data, reorg, neighbours, seen",
        operationId: "streamEvents",
        tags: ["node"],
        produces: ["text/event-stream"],
        querystring: Type.Object({
          last_event_id: Type.Optional(
            Type.String({ description: "resume after this event id (as Last-Event-ID does)" }),
          ),
        }),
        headers: Type.Object({
          "last-event-id": Type.Optional(
            Type.String({ description: "resume after this event id (EventSource sends it)" }),
          ),
        }),
        response: {
          200: {
            type: "string",
            description:
              "A stream of events, each with `id:`, `event:` (block, data, reorg, neighbours, seen) and `data:` (JSON); send `Last-Event-ID` (or `?last_event_id=`) to resume",
          },
          429: { $ref: "Error" },
        },
      },
    },
    (request, reply) => {
      if (open.size >= DEFAULTS.maxEventClients) {
        return reply.code(429).send({
          message: `this node serves at most ${DEFAULTS.maxEventClients} event streams at once; try again later`,
        });
      }
      const client = request.ip;
      const held = perAddress.get(client) ?? 0;
      if (held >= DEFAULTS.maxEventClientsPerAddress) {
        return reply.code(429).send({
          message: `this node serves at most ${DEFAULTS.maxEventClientsPerAddress} event streams to one address (${client}); close one first`,
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
      const from = parseEventId(lastEventIdOf(request.headers, request.query));
      if (from) res.write(catchUp(ring, node, from));
      open.add(res);
      perAddress.set(client, held + 1);
      metrics?.eventStreamClients.set(open.size);
      res.on("close", () => {
        open.delete(res);
        const left = (perAddress.get(client) ?? 1) - 1;
        if (left > 0) perAddress.set(client, left);
        else perAddress.delete(client);
        metrics?.eventStreamClients.set(open.size);
      });
    },
  );
}

/** The chain's length once a client has applied this event (it rides in the event's id). */
function lengthAfter(name: string, payload: unknown, node: NodeApi): number {
  // The new branch's blocks follow as block events: until then the client holds the common part.
  if (name === "reorg") return (payload as { fork_index: number }).fork_index + 1;
  return node.chainLength();
}

/**
 * The id a client resumes from: the `Last-Event-ID` header (EventSource sends it on its own
 * reconnects), else `?last_event_id=` (for a client that opens a new stream itself).
 */
function lastEventIdOf(headers: Record<string, unknown>, query: unknown): string | undefined {
  const header = headers["last-event-id"];
  if (typeof header === "string" && header !== "") return header;
  const param = (query as { last_event_id?: unknown } | undefined)?.last_event_id;
  return typeof param === "string" ? param : undefined;
}

/**
 * What a client that resumes from `from` missed: the events after it while the
 * ring holds them all; else (a node restarted since, or a long absence) the
 * blocks from the length it held to the tip, at most a page of them (the
 * newest; older ones are for GET /blocks), with ids that resume from now on.
 */
function catchUp(ring: EventRing, node: NodeApi, from: EventPosition): string {
  const missed = ring.since(from);
  if (missed) return missed.map((entry) => entry.text).join("");
  const length = node.chainLength();
  const start = Math.max(from.length, length - DEFAULTS.blocksPageLimit);
  return node
    .blocks(start, length - start)
    .map(
      (block) =>
        `id: ${ring.idOf(ring.lastSeq, block.index + 1)}\nevent: block\ndata: ${JSON.stringify(block)}\n\n`,
    )
    .join("");
}
