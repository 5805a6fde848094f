import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { startServer } from "../../src/api/server.js";
import { DEFAULTS } from "../../src/config/config.js";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

let node: TestMiner;
before(async () => {
  node = await startTestMiner({ mine: false });
});
after(async () => node.stop());

function openSocket(port: number, send?: string, from = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: from }, () => {
      if (send) socket.write(send);
      resolve(socket);
    });
    socket.on("error", () => undefined);
    socket.once("error", reject);
  });
}

test("time-outs: a silent connection and a request sent too slowly are closed, checked every second", async () => {
  assert.equal(DEFAULTS.requestTimeoutMs, 30_000);
  assert.equal(DEFAULTS.stalledConnectionMs, 30_000);
  const server: FastifyInstance = await startServer(node.miner, {
    port: 0,
    requestTimeoutMs: 2_000,
    stalledConnectionMs: 2_000,
  });
  const port = (server.server.address() as { port: number }).port;
  const connections = () =>
    new Promise<number>((resolve) => server.server.getConnections((_e, n) => resolve(n)));
  const silent = await openSocket(port);
  // A byte every 300 ms: never idle, but the request is not whole after 2 s.
  const slow = await openSocket(port, "GET /status HTTP/1.1\r\nX-Pad: ");
  const drip = setInterval(() => slow.write("a"), 300);
  try {
    await waitFor(async () => (await connections()) === 2, { what: "both connections" });
    const started = Date.now();
    await waitFor(async () => (await connections()) === 0, {
      timeoutMs: 10_000,
      what: "the server to close both connections",
    });
    // Node checks its request time-out on a timer; it runs every second here, not every 30 s.
    assert.ok(Date.now() - started < 2_000 + 2_500, `closed after ${Date.now() - started} ms`);
  } finally {
    clearInterval(drip);
    silent.destroy();
    slow.destroy();
    await server.close();
  }
});

test("past the connection limit the oldest idle connection of the busiest address makes room; a new client is served", async () => {
  const server: FastifyInstance = await startServer(node.miner, { port: 0, maxConnections: 8 });
  const port = (server.server.address() as { port: number }).port;
  const connections = () =>
    new Promise<number>((resolve) => server.server.getConnections((_e, n) => resolve(n)));
  const neighbour = await openSocket(port);
  let neighbourClosed = false;
  neighbour.once("close", () => {
    neighbourClosed = true;
  });
  const crowd: Socket[] = [];
  try {
    // Another host (127.0.0.2) opens idle connections, far past the limit.
    for (let i = 0; i < 30; i++) crowd.push(await openSocket(port, undefined, "127.0.0.2"));
    await waitFor(async () => (await connections()) <= 8, {
      what: "the server to hold at most 8 connections",
    });
    const { status } = await http(`http://127.0.0.1:${port}/status`);
    assert.equal(status, 200, "a client that sends its request at once is served");
    assert.ok((await connections()) <= 8);
    await delay(200);
    assert.equal(
      neighbourClosed,
      false,
      "the address holding the most connections paid, not the neighbour",
    );
  } finally {
    neighbour.destroy();
    for (const s of crowd) s.destroy();
    await server.close();
  }
});
