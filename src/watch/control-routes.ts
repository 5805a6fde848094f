import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** What a devnet lets its view do to its nodes (for teaching: cause a fork on purpose). */
export interface TeachingControls {
  /** Splits the nodes into two groups that no longer talk to each other; the groups. */
  split(): Promise<string[][]>;
  /** Ends the split. */
  heal(): Promise<void>;
  /** Stops the node at `address` (its chain stays on disk). */
  stop(address: string): Promise<void>;
  /** Starts the stopped node at `address` again. */
  start(address: string): Promise<void>;
}

const TOKEN_HEADER = "x-view-token";

/** Whether a request comes from this machine (the controls never answer another). */
export function isLoopback(ip: string): boolean {
  return ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");
}

/** Whether `given` is `expected`, in constant time. */
export function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * POST /control/split, /control/heal, /control/stop?node=, /control/start?node=:
 * only from loopback, only with the page's token (a header no other site can
 * send without a preflight this server never allows).
 */
export function registerControlRoutes(
  app: FastifyInstance,
  deps: {
    controls: TeachingControls;
    pageToken: string;
    note: (what: string, detail: Record<string, unknown>) => void;
  },
): void {
  const guard = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (!isLoopback(request.ip)) {
      void reply.code(403).send({ message: "the view's controls answer only this machine" });
      return false;
    }
    if (!sameToken(request.headers[TOKEN_HEADER], deps.pageToken)) {
      void reply.code(403).send({ message: `the view's controls need the page's ${TOKEN_HEADER}` });
      return false;
    }
    return true;
  };
  const nodeOf = (request: FastifyRequest): string | null => {
    const node = (request.query as { node?: unknown }).node;
    return typeof node === "string" && node.length > 0 ? node : null;
  };

  app.post("/control/split", async (request, reply) => {
    if (!guard(request, reply)) return reply;
    const groups = await deps.controls.split();
    deps.note("split", { groups });
    return { groups };
  });
  app.post("/control/heal", async (request, reply) => {
    if (!guard(request, reply)) return reply;
    await deps.controls.heal();
    deps.note("heal", {});
    return { healed: true };
  });
  for (const action of ["stop", "start"] as const) {
    app.post(`/control/${action}`, async (request, reply) => {
      if (!guard(request, reply)) return reply;
      const node = nodeOf(request);
      if (!node)
        return reply.code(400).send({ message: `?node=host:port names the node to ${action}` });
      try {
        await deps.controls[action](node);
      } catch (err) {
        return reply.code(400).send({ message: (err as Error).message });
      }
      deps.note(action, { node });
      return { [action === "stop" ? "stopped" : "started"]: node };
    });
  }
}
