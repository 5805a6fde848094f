import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { DEFAULTS } from "../../config/config.js";
import type { NodeApi } from "../node-api.js";
import { PeerSchema, SeenBlockSchema } from "../schemas.js";

/** What a watcher reads of a node beyond its chain: the blocks it saw (adopted or not) and its peers. */
export function registerWatchRoutes(app: FastifyInstance, node: NodeApi): void {
  app.get(
    "/blocks/seen",
    {
      schema: {
        summary: `The valid blocks this node saw lately, adopted or not, oldest first (it keeps the last ${DEFAULTS.seenBlocksKept})`,
        operationId: "getSeenBlocks",
        tags: ["network"],
        querystring: Type.Object({
          after: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: Number.MAX_SAFE_INTEGER,
              default: 0,
              description: "only blocks first seen after this time (ms of this node's clock)",
            }),
          ),
          limit: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: Number.MAX_SAFE_INTEGER,
              default: DEFAULTS.seenBlocksPageLimit,
              description: `at most this many (larger limits are cut to ${DEFAULTS.seenBlocksPageLimit})`,
            }),
          ),
        }),
        response: {
          200: Type.Object({ blocks: Type.Array(SeenBlockSchema) }),
          400: Type.Ref("Error"),
        },
      },
    },
    async (request, reply) => {
      const { after = 0, limit = DEFAULTS.seenBlocksPageLimit } = request.query as {
        after?: number;
        limit?: number;
      };
      if (!Number.isSafeInteger(after) || !Number.isSafeInteger(limit)) {
        return reply.code(400).send({ message: "after and limit must be safe integers" });
      }
      return { blocks: node.seenBlocks(after, Math.min(limit, DEFAULTS.seenBlocksPageLimit)) };
    },
  );

  app.get(
    "/peers",
    {
      schema: {
        summary: "Every peer this node knows: neighbours, failing, set aside or banned",
        operationId: "getPeers",
        tags: ["network"],
        response: { 200: Type.Object({ peers: Type.Array(PeerSchema) }) },
      },
    },
    async () => ({ peers: node.peers() }),
  );
}
