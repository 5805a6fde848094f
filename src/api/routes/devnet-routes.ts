import { timingSafeEqual } from "node:crypto";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { NodeApi } from "../node-api.js";

const SENDER_HEADER = "x-blockchain-node";

function isLoopback(ip: string): boolean {
  return ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");
}

function bearerIs(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization;
  if (typeof header !== "string" || !header.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice("Bearer ".length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The teaching control of a node started by `blockchain devnet` (registered
 * only with the devnet's token): POST /devnet/partition cuts the node off
 * from the addresses given, both ways, until the next call. Only from
 * loopback and with the token; not part of the public API (hidden from the
 * OpenAPI document).
 */
export function registerDevnetRoutes(app: FastifyInstance, node: NodeApi, token: string): void {
  // A request from a node this one is split from is answered as a broken network would.
  app.addHook("onRequest", async (request, reply) => {
    const claimed = request.headers[SENDER_HEADER];
    if (typeof claimed === "string" && node.isCutOff(claimed)) {
      return reply.code(503).send({ message: `split off from ${claimed} by the devnet` });
    }
  });
  app.post(
    "/devnet/partition",
    {
      schema: {
        hide: true,
        body: Type.Object({ cut_off: Type.Array(Type.String(), { maxItems: 4096 }) }),
      },
    },
    async (request, reply) => {
      if (!isLoopback(request.ip)) {
        return reply.code(403).send({ message: "the devnet control answers only this machine" });
      }
      if (!bearerIs(request, token)) {
        return reply.code(403).send({ message: "the devnet control needs the devnet's token" });
      }
      const { cut_off } = request.body as { cut_off: string[] };
      node.cutOff(cut_off);
      return { cut_off };
    },
  );
}
