// Attack 7 of issue 12: a web page of another origin drove a local node (added a
// message, added a neighbour, got one banned), and DNS rebinding was open.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { rawRequest } from "../helpers/raw-request.js";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";

const EVIL = "http://127.0.0.1:1";
const ALLOWED = "http://127.0.0.1:8080";

describe("the API in a browser's world", () => {
  let node: TestMiner;
  let host: string;
  before(async () => {
    node = await startTestMiner({ mine: false, corsOrigins: [ALLOWED] });
    host = new URL(node.url).host;
  });
  after(() => node.stop());

  const pending = async () => (await http(`${node.url}/data`)).body.length as number;

  test("a write from another origin is refused with 403 and changes nothing", async () => {
    const add = await rawRequest(`${node.url}/add?message=pwned`, {
      method: "PUT",
      headers: { origin: EVIL },
    });
    assert.equal(add.status, 403);
    assert.match(add.body.message, /--cors-origin http:\/\/127\.0\.0\.1:1/);
    // A "simple" request a page may send without a preflight.
    const post = await rawRequest(`${node.url}/add`, {
      method: "POST",
      headers: { origin: EVIL, "content-type": "application/json" },
      body: JSON.stringify({ message: "pwned" }),
    });
    assert.equal(post.status, 403);
    const relay = await rawRequest(`${node.url}/data`, {
      method: "POST",
      headers: { origin: "null", "content-type": "application/json" },
      body: JSON.stringify({ data: [{ id: "a".repeat(32), message: "pwned" }] }),
    });
    assert.equal(relay.status, 403);
    assert.equal(await pending(), 0);
  });

  test("a preflight for a write from another origin gets no permission", async () => {
    const preflight = await rawRequest(`${node.url}/add`, {
      method: "OPTIONS",
      headers: { origin: EVIL, "access-control-request-method": "PUT" },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers["access-control-allow-origin"], undefined);
  });

  test("the node's own origin and a --cors-origin may write", async () => {
    for (const origin of [`http://${host}`, ALLOWED]) {
      const add = await rawRequest(`${node.url}/add?message=${encodeURIComponent(origin)}`, {
        method: "PUT",
        headers: { origin },
      });
      assert.equal(add.status, 200, origin);
      assert.equal(add.headers["access-control-allow-origin"], origin);
    }
  });

  test("reads answer any origin, and requests without an Origin are unaffected", async () => {
    const status = await rawRequest(`${node.url}/status`, { headers: { origin: EVIL } });
    assert.equal(status.status, 200);
    assert.equal(status.headers["access-control-allow-origin"], "*");
    const add = await rawRequest(`${node.url}/add?message=cli`, { method: "PUT" });
    assert.equal(add.status, 200);
  });

  test("a Host that is not the node's is refused with 421 (DNS rebinding)", async () => {
    const port = new URL(node.url).port;
    for (const name of ["rebind.attacker.example", "evil.test"]) {
      const read = await rawRequest(`${node.url}/status`, { headers: { host: `${name}:${port}` } });
      assert.equal(read.status, 421, name);
      assert.match(read.body.message, /does not answer to the host/);
    }
    for (const name of ["127.0.0.1", "localhost", "[::1]", "127.0.0.5"]) {
      const read = await rawRequest(`${node.url}/status`, { headers: { host: `${name}:${port}` } });
      assert.equal(read.status, 200, name);
    }
  });

  test("a name given with --advertise is a Host the node answers to", async () => {
    const named = await startTestMiner({ mine: false, advertise: "miner-1.test:12345" });
    try {
      const read = await rawRequest(`${named.url}/status`, {
        headers: { host: "miner-1.test:12345" },
      });
      assert.equal(read.status, 200);
    } finally {
      await named.stop();
    }
  });

  test("/ui/constructor is not a file of the explorer: 404", async () => {
    for (const name of ["constructor", "toString", "__proto__"]) {
      const { status } = await http(`${node.url}/ui/${name}`);
      assert.equal(status, 404, name);
    }
  });
});
