import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { BIN, freePort, getJson, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `blockchain ...args` to completion (bounded by a deadline). */
function run(args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`blockchain ${args.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let node: NodeProcess;
let port: string;
before(async () => {
  node = await NodeProcess.start({
    args: ["--difficulty", "2", "--workers", "1", "--log-level", "warn"],
  });
  port = String(node.port);
});
after(async () => node.stop());

test("add prints the new message's id and exits 0", async () => {
  const { code, stdout } = await run(["add", "from the cli", "--port", port]);
  assert.equal(code, 0);
  assert.match(stdout.trim(), /^[0-9a-f]{32}$/);
});

test("get message shows pending or confirmed, then confirmed in block N", async () => {
  const id = (await run(["add", "track me", "--port", port])).stdout.trim();
  await waitFor(
    async () =>
      (await getJson<{ status: string }>(`${node.url}/data/${id}`)).status === "confirmed",
    { what: "the message to be mined" },
  );
  const { code, stdout } = await run(["get", "message", id, "--port", port]);
  assert.equal(code, 0);
  assert.match(stdout, /^confirmed in block \d+ \(\d+ confirmations?\)\ntrack me\n$/);
  const json = await run(["get", "message", id, "--port", port, "--json"]);
  assert.equal(JSON.parse(json.stdout).status, "confirmed");
});

test("get chain prints the blocks readably, or the node's JSON with --json", async () => {
  const readable = await run(["get", "chain", "--port", port]);
  assert.equal(readable.code, 0);
  assert.match(readable.stdout, /^#0 {2}1970-01-01T00:00:00\.000Z/m);
  assert.match(readable.stdout, /This is the workload of the very first Block in this chain!/);
  assert.match(readable.stdout, /\d+ blocks\n$/);
  const json = JSON.parse((await run(["get", "chain", "--port", port, "--json"])).stdout);
  assert.equal(json.chain.length, json.length);
});

test("get status, neighbours and data print readable answers", async () => {
  const status = await run(["get", "status", "--port", port]);
  assert.equal(status.code, 0);
  assert.match(status.stdout, /^address {4}127\.0\.0\.1:\d+$/m);
  assert.match(status.stdout, /^difficulty 2$/m);
  assert.match(status.stdout, /^proof rule original$/m);
  const neighbours = await run(["get", "neighbours", "--port", port]);
  assert.equal(neighbours.stdout, "no neighbours\n");
  const data = await run(["get", "data", "--port", port, "--json"]);
  assert.ok(Array.isArray(JSON.parse(data.stdout)));
});

test("an unreachable node gives a one-line message and exit 1, not a stack trace", async () => {
  const closed = String(await freePort());
  const { code, stderr, stdout } = await run(["get", "status", "--port", closed]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    new RegExp(
      `^blockchain: cannot reach the node at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`,
    ),
  );
  assert.doesNotMatch(stderr, /\n\s+at /);
});

test("a bad flag or argument exits 2 with a message that names it", async () => {
  const cases: [string[], RegExp][] = [
    [["miner", "start", "x.json", "--difficulty", "zero"], /--difficulty/],
    [["miner", "start", "x.json", "--chain-serialization", "xml"], /--chain-serialization/],
    [["miner", "start", "x.json", "--bogus"], /--bogus/],
    [["add", "m", "--port", "70000"], /--port/],
    [["get", "everything"], /everything/],
    [["add"], /message/],
    [["miner", "start", "x.json", "--neighbours", "127.0.0.1:1,not a host"], /--neighbours/],
    [["miner", "start", "x.json", "--advertise", "bad"], /--advertise/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await run(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, pattern, args.join(" "));
  }
});

test("the original's snake_case flags are accepted as aliases", async () => {
  const { code, stdout } = await run(["miner", "start", "--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /--chain-serialization/);
  const bad = await run(["miner", "start", "x.json", "--chain_serialization", "xml"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--chain-serialization/, "the alias reaches the real flag");
});

test("--help works on every command", async () => {
  for (const args of [
    [],
    ["miner", "start"],
    ["add"],
    ["get"],
    ["get", "chain"],
    ["get", "message"],
    ["verify"],
    ["convert"],
    ["ui"],
    ["devnet"],
  ]) {
    const { code, stdout } = await run([...args, "--help"]);
    assert.equal(code, 0, args.join(" "));
    assert.match(stdout, /^Usage: blockchain/, args.join(" "));
  }
});
