import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { VERSION } from "../config/version.js";

/** The tags that group the operations, in the order a reader meets them. */
const TAGS = [
  { name: "messages", description: "Submit messages and follow them until they are mined" },
  { name: "chain", description: "Read the chain and announce blocks" },
  { name: "network", description: "Neighbours and what peers relay to each other" },
  { name: "node", description: "Status, metrics, events and this document" },
  { name: "explorer", description: "The web explorer" },
];

/**
 * Registers @fastify/swagger, which builds the OpenAPI 3.1 document from the
 * route schemas (summary, tags, operationId, params, bodies, responses), and
 * serves it at /openapi.json. Must be registered before the routes.
 * `servers` lists this node where the document was fetched (a relative URL,
 * right behind a proxy or a port mapping) and its advertised address.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  advertised: () => string,
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Blockchain node API",
        version: VERSION,
        description: "A proof-of-work node that keeps a replicated ledger of text messages.",
      },
      tags: TAGS,
    },
    // Shared schemas keep their own names (Block, Data, Error) in components.schemas.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? i) },
  });
  app.get(
    "/openapi.json",
    {
      schema: {
        summary: "This document (OpenAPI 3.1)",
        operationId: "getOpenApi",
        tags: ["node"],
        response: { 200: { type: "object", additionalProperties: true } },
      },
    },
    async () => ({
      ...app.swagger(),
      servers: [
        { url: "/", description: "this node, where this document was fetched" },
        { url: `http://${advertised()}`, description: "this node's advertised address" },
      ],
    }),
  );
}
