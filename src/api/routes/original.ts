import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DEFAULTS } from "../../config/config.js";
import { writerOfRequest } from "../access-gate.js";
import { pendingList, stallMsOf, streamed, wholeChain } from "../json-stream.js";
import type { NodeApi } from "../node-api.js";
import { AddedSchema, ERROR_RESPONSES } from "../schemas.js";

const MISSING_DATA = { message: "No Message added!", more_information: "Missing data." };

/** The original's endpoints: PUT /add, GET /chain, GET /neighbours, GET /data; and POST /add. */
export function registerOriginalRoutes(app: FastifyInstance, node: NodeApi): void {
  const addResponses = { 200: AddedSchema, ...ERROR_RESPONSES };
  /** Both forms of /add answer alike: the original's texts, with the new id. */
  const add = async (message: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (typeof message !== "string" || message.length === 0)
      return reply.code(400).send(MISSING_DATA);
    const { id } = await node.addMessage(message);
    // The writer is named, its token never is.
    const writer = writerOfRequest(request);
    if (writer !== null)
      request.log.info({ writer, id }, `message ${id} added by writer ${writer}`);
    return { message: "Message added!", more_information: "Will be mined in a future block.", id };
  };

  app.put(
    "/add",
    {
      schema: {
        summary: "Submit a message (the original's form)",
        operationId: "addMessage",
        tags: ["messages"],
        querystring: Type.Object({ message: Type.Optional(Type.String()) }),
        response: addResponses,
      },
    },
    async (request, reply) => add((request.query as { message?: string }).message, request, reply),
  );

  app.post(
    "/add",
    {
      schema: {
        summary: "Submit a message as JSON",
        operationId: "postMessage",
        tags: ["messages"],
        // Documented, not enforced: a missing body answers like a missing message, as PUT /add does.
        body: Type.Unknown({ description: 'a JSON object {"message": TEXT}' }),
        response: addResponses,
      },
    },
    async (request, reply) => {
      const body = request.body;
      const message =
        typeof body === "object" && body !== null
          ? (body as { message?: unknown }).message
          : undefined;
      if (message !== undefined && typeof message !== "string") {
        return reply.code(400).send({ message: "message must be a string" });
      }
      return add(message, request, reply);
    },
  );

  app.get(
    "/chain",
    {
      schema: {
        summary: "The whole chain (streamed)",
        operationId: "getChain",
        tags: ["chain"],
        response: {
          200: Type.Object({ chain: Type.Array(Type.Ref("Block")), length: Type.Integer() }),
        },
      },
    },
    async (_request, reply) => {
      const body = wholeChain((from, limit) => node.blocks(from, limit), node.chainLength());
      return reply.type("application/json; charset=utf-8").send(streamed(body, stallMsOf(app)));
    },
  );

  app.get(
    "/neighbours",
    {
      schema: {
        summary: "The neighbours",
        operationId: "getNeighbours",
        tags: ["network"],
        response: {
          200: Type.Object({ neighbours: Type.Array(Type.String()), length: Type.Integer() }),
        },
      },
    },
    async () => {
      const neighbours = node.neighbourList();
      return { neighbours, length: neighbours.length };
    },
  );

  app.get(
    "/data",
    {
      schema: {
        summary: `The pending messages, oldest first, at most ${DEFAULTS.maxPageBytes / 1024 / 1024} MiB of them; with \`after\` or \`limit\`, one page ordered by id (peers page, so they get every message)`,
        operationId: "getPendingMessages",
        tags: ["messages"],
        querystring: Type.Object({
          after: Type.Optional(
            Type.String({
              pattern: "^[0-9a-f]{0,32}$",
              description: "the last id of the page before",
            }),
          ),
          limit: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: Number.MAX_SAFE_INTEGER,
              description: `at most ${DEFAULTS.dataPageLimit} messages (larger limits are cut to it) and ${DEFAULTS.dataPageBytes} bytes`,
            }),
          ),
        }),
        response: { 200: Type.Array(Type.Ref("Data")), 400: Type.Ref("Error") },
      },
    },
    async (request, reply) => {
      const { after, limit } = request.query as { after?: string; limit?: number };
      if (after !== undefined || limit !== undefined) {
        return node.pendingMessagesPage(
          after ?? "",
          Math.min(limit ?? DEFAULTS.dataPageLimit, DEFAULTS.dataPageLimit),
        );
      }
      return reply
        .type("application/json; charset=utf-8")
        .send(streamed(pendingList(node.pendingMessages(), DEFAULTS.maxPageBytes), stallMsOf(app)));
    },
  );
}
