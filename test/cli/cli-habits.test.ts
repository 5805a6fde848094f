import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { VERSION } from "../../src/config/version.js";
import { GENESIS_HASH } from "../../src/core/genesis.js";
import { BIN, getJson, NodeProcess } from "../helpers/node-process.js";
import { runCli } from "../helpers/run-cli.js";
import { waitFor } from "../helpers/wait-for.js";

/** Larger than Linux's limit on one command-line argument (128 KiB). */
const LONG_BYTES = 200_000;

let node: NodeProcess;
let port: string;
before(async () => {
  node = await NodeProcess.start({
    args: [
      ...["--difficulty", "2", "--workers", "1", "--log-level", "warn"],
      ...["--max-message-bytes", String(LONG_BYTES)],
    ],
  });
  port = String(node.port);
});
after(async () => node.stop());

async function storedMessage(id: string): Promise<string> {
  return (await getJson<{ message: string }>(`${node.url}/data/${id}`)).message;
}

test("--version prints the package version", async () => {
  const { code, stdout } = await runCli(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout, `${VERSION}\n`);
});

test("add - reads the message from stdin, one trailing newline dropped", async () => {
  const one = await runCli(["add", "-", "--port", port], { input: "from a pipe\n" });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(await storedMessage(one.stdout.trim()), "from a pipe");
  const lines = await runCli(["add", "-", "--port", port], { input: "two\nlines\n\n" });
  assert.equal(await storedMessage(lines.stdout.trim()), "two\nlines\n");
});

test("add - takes a message longer than a command-line argument may be", async () => {
  const message = "x".repeat(LONG_BYTES);
  const run = await runCli(["add", "-", "--port", port], { input: message });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await storedMessage(run.stdout.trim()), message);
});

test("add --json prints the node's answer", async () => {
  const { code, stdout } = await runCli(["add", "as json", "--port", port, "--json"]);
  assert.equal(code, 0);
  const answer = JSON.parse(stdout);
  assert.equal(answer.message, "Message added!");
  assert.match(answer.id, /^[0-9a-f]{32}$/);
});

test("get block <index> prints one block with its hash, or exactly the block with --json", async () => {
  const text = await runCli(["get", "block", "0", "--port", port]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^#0 /);
  assert.match(text.stdout, new RegExp(`hash ${GENESIS_HASH}\\n$`));
  const json = await runCli(["get", "block", "0", "--port", port, "--json"]);
  assert.deepEqual(JSON.parse(json.stdout), await getJson(`${node.url}/blocks/0`));
  const missing = await runCli(["get", "block", "999999", "--port", port]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no block at index 999999/);
});

test("a confirmation count is written in the singular for 1", async () => {
  await waitFor(
    async () => (await getJson<{ pending: number }>(`${node.url}/status`)).pending === 0,
    {
      what: "nothing pending",
    },
  );
  const id = (await runCli(["add", "counted", "--port", port])).stdout.trim();
  await waitFor(
    async () =>
      (await getJson<{ status: string }>(`${node.url}/data/${id}`)).status === "confirmed",
    { what: "the message to be mined" },
  );
  const { stdout } = await runCli(["get", "message", id, "--port", port]);
  assert.match(stdout, /^confirmed in block \d+ \(1 confirmation\)\ncounted\n$/);
});

test("BLOCKCHAIN_HOST and BLOCKCHAIN_PORT stand in for --host and --port, and --help lists them", async () => {
  const env = { BLOCKCHAIN_HOST: "127.0.0.1", BLOCKCHAIN_PORT: port };
  const { code, stdout } = await runCli(["get", "status", "--json"], {
    env: { ...process.env, ...env },
  });
  assert.equal(code, 0);
  assert.equal(JSON.parse(stdout).address, node.address);
  const flagWins = await runCli(["get", "status", "--json", "--port", port], {
    env: { ...process.env, BLOCKCHAIN_PORT: "1" },
  });
  assert.equal(flagWins.code, 0);
  const help = await runCli(["get", "status", "--help"]);
  assert.match(help.stdout, /env: BLOCKCHAIN_HOST/);
  assert.match(help.stdout, /env: BLOCKCHAIN_PORT/);
  const root = await runCli(["--help"]);
  for (const name of ["BLOCKCHAIN_HOST", "BLOCKCHAIN_PORT", "BLOCKCHAIN_LOG_LEVEL"])
    assert.match(root.stdout, new RegExp(name));
  const start = await runCli(["miner", "start", "--help"]);
  assert.match(start.stdout, /env: BLOCKCHAIN_LOG_LEVEL/);
});

test("a usage error is one line that names the problem and points to --help", async () => {
  for (const [args, help] of [
    [["add"], "blockchain add --help"],
    [["get", "chain", "--bogus"], "blockchain get chain --help"],
    [["get", "block", "minus-one"], "blockchain get block --help"],
    [["verify", "x.json", "--difficulty", "zero"], "blockchain verify --help"],
    [["miner", "start", "c.json", "--log-format", "xml"], "blockchain miner start --help"],
    [["completion", "fish"], "blockchain completion --help"],
  ] as const) {
    const { code, stdout, stderr } = await runCli([...args]);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stdout, "");
    assert.equal(
      stderr.trimEnd().split("\n").length,
      1,
      `one line for ${args.join(" ")}: ${stderr}`,
    );
    assert.ok(stderr.includes(`(see '${help}')`), stderr);
  }
});

test("ui --node takes host:port as the other commands do", async () => {
  const ui = spawn(process.execPath, [BIN, "ui", "--port", "0", "--node", `localhost:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => ui.once("exit", resolve));
  try {
    let out = "";
    ui.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    const line = await waitFor(() => /^explorer on (\S+) \(node: (\S+)\)$/m.exec(out), {
      what: "the explorer's line",
    });
    assert.equal(line[2], `http://127.0.0.1:${port}`);
    const page = await (await fetch(line[1] as string)).text();
    assert.ok(page.includes(`content="http://127.0.0.1:${port}"`));
    const bad = await runCli(["ui", "--node", "ftp://example.invalid"]);
    assert.equal(bad.code, 2);
  } finally {
    ui.kill("SIGTERM");
    await exited;
  }
});
