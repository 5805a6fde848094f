import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import { HttpRequestError, httpRequest, keepAliveAgent } from "../../src/net/http-client.js";

/*
 * A peer that restarted (or a healed partition) leaves every idle keep-alive
 * connection to it stale, not just one: httpRequest must get through on a
 * fresh connection, and never let its internal stale-socket error escape
 * (a node died of it, uncaught, in the soak).
 */

const ANSWER = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok";

test("a request whose pooled connections are all stale gets through on a fresh one", async () => {
  const sockets = new Set<Socket>();
  let stale = false;
  const staleSockets = new WeakSet<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.on("data", () => {
      // A connection made before the "restart" is hung up as the next request arrives.
      if (staleSockets.has(socket)) socket.destroy();
      else socket.write(ANSWER);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const origin = `127.0.0.1:${port}`;
  const agent = keepAliveAgent();
  try {
    const get = () =>
      httpRequest(origin, {
        method: "GET",
        path: "/status",
        timeoutMs: 5_000,
        maxResponseBytes: 1_000,
        agent,
      });
    // Three requests at once leave three idle connections in the agent's pool.
    const first = await Promise.all([get(), get(), get()]);
    assert.deepEqual(
      first.map((a) => a.status),
      [200, 200, 200],
    );
    assert.ok(sockets.size >= 2, `at least two pooled connections (got ${sockets.size})`);
    stale = true;
    for (const socket of sockets) staleSockets.add(socket);
    const answer = await get().catch((err: unknown) => err);
    assert.ok(stale);
    assert.ok(
      !(answer instanceof Error),
      `the request failed: ${String(answer)} (${(answer as Error)?.constructor?.name})`,
    );
    assert.equal((answer as { status: number }).status, 200);
    assert.equal((answer as { body: Buffer }).body.toString(), "ok");
  } finally {
    agent.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("a failure on a stale connection reaches the caller as an HttpRequestError", async () => {
  // Every connection is hung up once it has answered one request, and new ones are refused after.
  const sockets = new Set<Socket>();
  let answered = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.on("data", () => {
      if (answered < 3) {
        answered++;
        socket.write(ANSWER);
      } else socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const agent = keepAliveAgent();
  try {
    const get = () =>
      httpRequest(origin, {
        method: "GET",
        path: "/",
        timeoutMs: 5_000,
        maxResponseBytes: 1_000,
        agent,
      });
    await Promise.all([get(), get(), get()]);
    const err = await get().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof HttpRequestError, `an HttpRequestError, not ${String(err)}`);
    assert.equal(err.kind, "unreachable");
  } finally {
    agent.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
