// Attack 8 of issue 12: one client could hold all 256 /events slots.
import assert from "node:assert/strict";
import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { test } from "node:test";
import { DEFAULTS } from "../../src/config/config.js";
import { startTestMiner } from "../helpers/start-miner.js";

/** Opens GET /events from `localAddress`; resolves once the status line arrived. */
function openStream(
  url: string,
  localAddress: string,
): Promise<{ status: number; req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/events`, { localAddress, agent: false, timeout: 10_000 }, (res) =>
      resolve({ status: res.statusCode ?? 0, req, res }),
    );
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", reject);
    req.end();
  });
}

test("one client address cannot take every event-stream slot", async () => {
  const node = await startTestMiner({ mine: false });
  const streams: ClientRequest[] = [];
  try {
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULTS.maxEventClientsPerAddress + 8; i++) {
      const { status, req, res } = await openStream(node.url, "127.0.0.1");
      statuses.push(status);
      streams.push(req);
      if (status !== 200) res.resume();
    }
    assert.equal(statuses.filter((s) => s === 200).length, DEFAULTS.maxEventClientsPerAddress);
    assert.deepEqual(statuses.slice(DEFAULTS.maxEventClientsPerAddress), Array(8).fill(429));
    // Another client is still served.
    const other = await openStream(node.url, "127.0.0.2");
    streams.push(other.req);
    assert.equal(other.status, 200);
  } finally {
    for (const req of streams) req.destroy();
    await node.stop();
  }
});
