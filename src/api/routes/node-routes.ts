import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type ChainSerialization, DEFAULTS, RECORDS_MEDIA_TYPES } from "../../config/config.js";
import { blocksPage, stallMsOf, streamed } from "../json-stream.js";
import type { CallerClaim, NodeApi } from "../node-api.js";
import { DataLookupSchema, ERROR_RESPONSES, StatusSchema } from "../schemas.js";

const SENDER_HEADER = "x-blockchain-node";
const SENDER_ID_HEADER = "x-blockchain-node-id";

function header(headers: Record<string, unknown>, name: string): string | null {
  const value = headers[name];
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** What the request's headers claim about its caller: a claim, checked by the node before any use. */
function callerOf(request: FastifyRequest): CallerClaim {
  return {
    address: header(request.headers, SENDER_HEADER),
    nodeId: header(request.headers, SENDER_ID_HEADER),
    ip: request.ip,
  };
}

/** The endpoints beyond the original's: status, blocks, announces, relays, message look-up. */
export function registerNodeRoutes(app: FastifyInstance, node: NodeApi): void {
  app.get(
    "/status",
    {
      schema: {
        summary: "The node's status",
        operationId: "getStatus",
        tags: ["node"],
        response: { 200: StatusSchema },
      },
    },
    async () => node.status(),
  );

  app.get(
    "/blocks",
    {
      schema: {
        operationId: "getBlocks",
        tags: ["chain"],
        summary: `Blocks from index \`from\`, at most \`limit\` (at most ${DEFAULTS.blocksPageLimit}; larger limits are cut to it) and at most ${DEFAULTS.maxPageBytes / 1024 / 1024} MiB (at least one block)`,
        querystring: Type.Object({
          from: Type.Optional(
            Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 }),
          ),
          limit: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: Number.MAX_SAFE_INTEGER,
              default: DEFAULTS.blocksPageLimit,
            }),
          ),
        }),
        response: {
          200: Type.Object({ blocks: Type.Array(Type.Ref("Block")), length: Type.Integer() }),
          400: Type.Ref("Error"),
        },
      },
    },
    async (request, reply) => {
      const { from = 0, limit = DEFAULTS.blocksPageLimit } = request.query as {
        from?: number;
        limit?: number;
      };
      // The schema's coercion lets a huge number through as Infinity.
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(limit)) {
        return reply.code(400).send({ message: "from and limit must be safe integers" });
      }
      const length = node.chainLength();
      // Content negotiation: a peer that asks for records (binary or JSON Lines) gets larger
      // pages of them (bounded in bytes); JSON stays the default, and the answer varies by Accept.
      reply.header("vary", "Accept");
      const format = recordFormatFor(request.headers.accept, node.chainFormat());
      if (format) {
        const page = node.blockRecords(
          from,
          Math.min(limit, DEFAULTS.recordPageLimit),
          DEFAULTS.recordPageBytes,
          format,
        );
        return reply
          .header("content-type", RECORDS_MEDIA_TYPES[format])
          .header("x-chain-length", String(length))
          .send(page);
      }
      const read = (at: number, count: number) => node.blocks(at, count);
      const page = blocksPage(
        read,
        from,
        Math.min(limit, DEFAULTS.blocksPageLimit),
        length,
        DEFAULTS.maxPageBytes,
      );
      return reply.type("application/json; charset=utf-8").send(streamed(page, stallMsOf(app)));
    },
  );

  app.get(
    "/blocks/:index",
    {
      schema: {
        summary: "One block",
        operationId: "getBlock",
        tags: ["chain"],
        params: Type.Object({
          index: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
        }),
        response: { 200: Type.Ref("Block"), 400: Type.Ref("Error"), 404: Type.Ref("Error") },
      },
    },
    async (request, reply) => {
      const { index } = request.params as { index: number };
      if (!Number.isSafeInteger(index)) {
        return reply.code(400).send({ message: "the index must be a safe integer" });
      }
      const [block] = node.blocks(index, 1);
      if (!block) {
        return reply.code(404).send({
          message: `no block at index ${index}; the chain has ${node.chainLength()} blocks`,
        });
      }
      return block;
    },
  );

  app.post(
    "/blocks",
    {
      schema: {
        summary: "Announce consecutive blocks",
        operationId: "announceBlocks",
        tags: ["chain"],
        body: Type.Object({
          blocks: Type.Array(Type.Unknown(), { minItems: 1, maxItems: DEFAULTS.blocksPageLimit }),
        }),
        response: {
          200: Type.Object({ accepted: Type.Boolean(), length: Type.Integer() }),
          409: Type.Object({ message: Type.String(), length: Type.Integer() }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { blocks } = request.body as { blocks: unknown[] };
      const result = node.receiveBlocks(blocks, callerOf(request));
      switch (result.status) {
        case "accepted":
          return { accepted: true, length: result.length };
        case "not-better":
          return { accepted: false, length: result.length };
        case "unknown-parent":
          return reply.code(409).send({
            message:
              "the first block's parent is not in this chain; the node will sync from the sender",
            length: result.length,
          });
        case "invalid":
          return reply
            .code(400)
            .send({ message: `block ${result.index} is invalid: ${result.reason}` });
      }
    },
  );

  app.post(
    "/data",
    {
      schema: {
        summary: "Relay pending messages",
        operationId: "relayMessages",
        tags: ["network"],
        body: Type.Object({ data: Type.Array(Type.Unknown(), { maxItems: DEFAULTS.maxPending }) }),
        response: { 200: Type.Object({ added: Type.Integer() }), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { data } = request.body as { data: unknown[] };
      return { added: await node.receiveData(data, callerOf(request)) };
    },
  );

  app.get(
    "/data/:id",
    {
      schema: {
        summary: "A message, pending or confirmed",
        operationId: "getMessage",
        tags: ["messages"],
        params: Type.Object({ id: Type.String() }),
        response: { 200: DataLookupSchema, 404: Type.Ref("Error") },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const found = node.lookupData(id);
      if (!found)
        return reply
          .code(404)
          .send({ message: `no message with id '${id}' is pending or in the chain` });
      return found;
    },
  );

  app.get(
    "/metrics",
    {
      schema: {
        summary: "Prometheus metrics (text format)",
        operationId: "getMetrics",
        tags: ["node"],
        produces: ["text/plain"],
        response: { 200: { type: "string", description: "Prometheus text format 0.0.4" } },
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await node.metricsText();
      return reply.type(contentType).send(body);
    },
  );
}

export { callerOf, SENDER_HEADER };

/**
 * The q an Accept header gives `type`: that of the most specific range naming
 * it (the type itself, then `major/*`, then `*\/*`; only the type itself when
 * `exactly`), 0 when none does.
 */
function qualityOf(accept: string, type: string, exactly = false): number {
  const major = type.split("/")[0];
  let rank = 0;
  let quality = 0;
  for (const range of accept.split(",")) {
    const [name, ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    const specific =
      name === type ? 3 : exactly ? 0 : name === `${major}/*` ? 2 : name === "*/*" ? 1 : 0;
    if (specific === 0 || specific < rank) continue;
    const q = params.find((p) => p.startsWith("q="));
    const value = q === undefined ? 1 : Number(q.slice(2));
    quality = specific > rank ? value : Math.max(quality, value);
    rank = specific;
  }
  return Number.isFinite(quality) && quality > 0 ? quality : 0;
}

/**
 * The record format to answer GET /blocks in, or null for JSON: the one the
 * client ranks highest among those it names (a tie goes to the format this
 * node stores, sent without re-encoding), unless it ranks JSON higher.
 */
function recordFormatFor(
  accept: string | undefined,
  stored: ChainSerialization,
): ChainSerialization | null {
  if (!accept) return null;
  const other: ChainSerialization = stored === "json" ? "binary" : "json";
  const own = qualityOf(accept, RECORDS_MEDIA_TYPES[stored], true);
  const theirs = qualityOf(accept, RECORDS_MEDIA_TYPES[other], true);
  const best = Math.max(own, theirs);
  if (best === 0 || best < qualityOf(accept, "application/json")) return null;
  return own >= theirs ? stored : other;
}
