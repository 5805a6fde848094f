import type { FastifyError, FastifyInstance } from "fastify";
import { NodeError, type NodeErrorCode } from "../config/errors.js";

/** The HTTP status of each domain error code: the one place that maps them. */
const STATUS_OF: Record<NodeErrorCode, number> = {
  BAD_INPUT: 400,
  MESSAGE_TOO_LARGE: 413,
  PENDING_FULL: 503,
  NOT_STARTED: 503,
  DISK_FULL: 507,
  STORAGE_FAILED: 503,
};

/** The original's answer to a path it does not serve: the path without its leading `/`. */
export function notValidEndpoint(url: string): { message: string } {
  const raw = (url.split("?")[0] ?? "").replace(/^\//, "");
  let path = raw;
  try {
    path = decodeURIComponent(raw);
  } catch {
    // Not valid percent-encoding: the path as it came.
  }
  return { message: `'${path}' is not a valid endpoint!` };
}

function statusOf(err: FastifyError): { status: number; message: string } {
  if (err instanceof NodeError) return { status: STATUS_OF[err.code], message: err.message };
  if (err.validation) return { status: 400, message: `invalid request: ${err.message}` };
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, message: `request body is too large: ${err.message}` };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return {
        status: 415,
        message: `unsupported content type: send application/json (${err.message})`,
      };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, message: "the body is empty; send a JSON object" };
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    const message =
      err instanceof SyntaxError ? `the body is not valid JSON: ${err.message}` : err.message;
    return { status: err.statusCode, message };
  }
  return { status: 500, message: "internal error; see the node's log" };
}

/** Every error answer is JSON with a `message` and the fitting status. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, message } = statusOf(err);
    if (status === 500) request.log.error({ err }, "request failed");
    void reply.code(status).send({ message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(notValidEndpoint(request.url));
  });
}
