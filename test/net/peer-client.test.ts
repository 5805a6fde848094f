import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { PeerClient, PeerError } from "../../src/net/peer-client.js";
import { tinyChain } from "../helpers/tiny-chain.js";
import { PeerServer } from "./peer-server.js";

const SELF = "127.0.0.1:9999";

function client(
  opts: { timeoutMs?: number; maxResponseBytes?: number } = {},
  signal = new AbortController().signal,
) {
  return new PeerClient(
    {
      self: SELF,
      timeoutMs: opts.timeoutMs ?? 2000,
      maxResponseBytes: opts.maxResponseBytes ?? 1024 * 1024,
    },
    { signal, metrics: null },
  );
}

async function rejectsWith(promise: Promise<unknown>, kind: PeerError["kind"]): Promise<PeerError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PeerError, `expected a PeerError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  return caught;
}

describe("the peer client", () => {
  const peer = new PeerServer(tinyChain(5, 1));
  let address = "";
  before(async () => {
    address = await peer.start();
  });
  after(() => peer.stop());

  it("sends X-Blockchain-Node with our address and reads a checked status", async () => {
    peer.override = null;
    const status = await client().status(address);
    assert.equal(status.length, 5);
    assert.equal(peer.requests.at(-1)?.caller, SELF);
  });

  it("reads a page of blocks", async () => {
    peer.override = null;
    const page = await client().blocks(address, 2, 2);
    assert.deepEqual(
      page.blocks.map((b) => b.index),
      [2, 3],
    );
  });

  it("gives up on a peer that does not answer within the time-out", async () => {
    peer.override = () => true; // never answers
    const started = Date.now();
    await rejectsWith(client({ timeoutMs: 200 }).status(address), "timeout");
    assert.ok(Date.now() - started < 2000);
  });

  it("gives up on a peer that starts an answer and never ends it", async () => {
    peer.override = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"length":');
      return true;
    };
    await rejectsWith(client({ timeoutMs: 300 }).status(address), "timeout");
  });

  it("refuses an answer that declares a length over the cap", async () => {
    peer.override = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "5000" });
      res.end(" ".repeat(5000));
      return true;
    };
    await rejectsWith(client({ maxResponseBytes: 1000 }).status(address), "too-large");
  });

  it("stops reading a streamed answer once it passes the cap", async () => {
    let written = 0;
    peer.override = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const timer = setInterval(() => {
        if (res.destroyed || written > 50_000_000) return clearInterval(timer);
        res.write(" ".repeat(64 * 1024));
        written += 64 * 1024;
      }, 1);
      res.on("close", () => clearInterval(timer));
      return true;
    };
    await rejectsWith(client({ maxResponseBytes: 256 * 1024 }).neighbours(address), "too-large");
    assert.ok(written < 50_000_000, "the client cut the stream");
  });

  it("refuses an answer that is not JSON", async () => {
    peer.override = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{not json");
      return true;
    };
    await rejectsWith(client().status(address), "malformed");
  });

  it("refuses a status of the wrong shape", async () => {
    peer.override = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ length: "many", tip: "nope" }));
      return true;
    };
    const err = await rejectsWith(client().status(address), "malformed");
    assert.ok(err.misbehaviour);
  });

  it("refuses a page whose blocks are not the ones asked for", async () => {
    const chain = tinyChain(5, 1);
    peer.override = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ blocks: [chain[3], chain[2]], length: 5 }));
      return true;
    };
    await rejectsWith(client().blocks(address, 2, 2), "malformed");
  });

  it("refuses a block with an extra field", async () => {
    const chain = tinyChain(5, 1);
    peer.override = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ blocks: [{ ...chain[2], extra: 1 }], length: 5 }));
      return true;
    };
    await rejectsWith(client().blocks(address, 2, 1), "malformed");
  });

  it("refuses pending messages of the wrong shape", async () => {
    peer.override = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify([{ id: "x", message: "" }]));
      return true;
    };
    await rejectsWith(client().pending(address), "malformed");
  });

  it("counts a server error as a failure, not as misbehaviour", async () => {
    peer.override = (_req, res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "full" }));
      return true;
    };
    const err = await rejectsWith(client().status(address), "server-error");
    assert.equal(err.misbehaviour, false);
  });

  it("gives 409 and 400 answers of announces to the caller", async () => {
    peer.override = (_req, res) => {
      res.writeHead(409, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "unknown parent" }));
      return true;
    };
    const answer = await client().announceBlocks(address, tinyChain(3, 1).slice(1));
    assert.equal(answer.status, 409);
    const sent = peer.requests.at(-1)?.body as { blocks: unknown[] } | undefined;
    assert.equal(sent?.blocks.length, 2);
  });

  it("reports an unreachable peer", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await rejectsWith(client().status(`127.0.0.1:${port}`), "unreachable");
  });

  it("aborts requests in flight when the node stops", async () => {
    peer.override = () => true;
    const stop = new AbortController();
    const pending = client({ timeoutMs: 10_000 }, stop.signal).status(address);
    setTimeout(() => stop.abort(), 50);
    await rejectsWith(pending, "aborted");
  });
});
