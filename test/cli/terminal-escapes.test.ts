import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { escapeControl } from "../../src/cli/terminal-text.js";
import { addMessage, NodeProcess } from "../helpers/node-process.js";
import { runCli } from "../helpers/run-cli.js";
import { waitFor } from "../helpers/wait-for.js";

const FORGED_LINE = "harmless\n#99  2030-01-01T00:00:00.000Z  proof 1  forged";
const TERMINAL_TRICKS = "\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\r\u202eevil\u0000\u009b";

test("control characters are shown escaped; printable text, accents and emoji stay as they are", () => {
  assert.equal(escapeControl("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  assert.equal(escapeControl("\u001b[31m"), "\\x1b[31m");
  assert.equal(escapeControl("\u0000\u007f\u009b"), "\\x00\\x7f\\x9b");
  assert.equal(escapeControl("\u202eabc\u2066\u2028"), "\\u202eabc\\u2066\\u2028");
  assert.equal(escapeControl("grüße 世界 🎉 \\n"), "grüße 世界 🎉 \\n");
});

let node: NodeProcess;
before(async () => {
  // Not mining: the messages stay pending, so `get data` shows them too.
  node = await NodeProcess.start({ args: ["--workers", "1", "--log-level", "warn", "--no-mine"] });
});
after(async () => node.stop());

/** Control characters other than the line breaks the CLI writes itself. */
function hasRawControl(text: string): boolean {
  return [...text].some((c) => c !== "\n" && escapeControl(c) !== c);
}

test("get data and get message print a message's control characters escaped; --json is exact", async () => {
  const forgedId = await addMessage(node.url, FORGED_LINE);
  const trickId = await addMessage(node.url, TERMINAL_TRICKS);
  const port = String(node.port);

  const data = await runCli(["get", "data", "--port", port]);
  assert.equal(data.code, 0, data.stderr);
  assert.ok(!hasRawControl(data.stdout), data.stdout);
  const lines = data.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 2, `one line per message:\n${data.stdout}`);
  assert.ok(
    lines.includes(`${forgedId}  harmless\\n#99  2030-01-01T00:00:00.000Z  proof 1  forged`),
  );
  assert.ok(
    lines.includes(`${trickId}  \\x1b]0;pwned\\x07\\x1b[31mred\\x1b[0m\\r\\u202eevil\\x00\\x9b`),
  );

  const one = await runCli(["get", "message", trickId, "--port", port]);
  assert.equal(one.code, 0, one.stderr);
  assert.ok(!hasRawControl(one.stdout), one.stdout);
  assert.equal(one.stdout, `pending\n${escapeControl(TERMINAL_TRICKS)}\n`);

  const json = await runCli(["get", "data", "--port", port, "--json"]);
  const messages = (JSON.parse(json.stdout) as { message: string }[]).map((d) => d.message);
  assert.deepEqual(messages.sort(), [FORGED_LINE, TERMINAL_TRICKS].sort());
  const exact = await runCli(["get", "message", trickId, "--port", port, "--json"]);
  assert.equal(JSON.parse(exact.stdout).message, TERMINAL_TRICKS);
});

test("get chain prints a block's message escaped: a newline cannot forge a block line", async () => {
  const miner = await NodeProcess.start({
    args: ["--workers", "1", "--log-level", "warn", "--difficulty", "2"],
  });
  try {
    const id = await addMessage(miner.url, FORGED_LINE);
    const port = String(miner.port);
    await waitFor(
      async () =>
        (await runCli(["get", "message", id, "--port", port])).stdout.startsWith("confirmed"),
      { what: "the message to be mined" },
    );
    const chain = await runCli(["get", "chain", "--port", port]);
    assert.equal(chain.code, 0, chain.stderr);
    assert.ok(!hasRawControl(chain.stdout), chain.stdout);
    const blockLines = chain.stdout.split("\n").filter((line) => line.startsWith("#"));
    assert.deepEqual(
      blockLines.map((line) => line.split(" ")[0]),
      ["#0", "#1"],
      `only real block lines:\n${chain.stdout}`,
    );
    assert.ok(
      chain.stdout.includes("    harmless\\n#99  2030-01-01T00:00:00.000Z  proof 1  forged\n"),
    );
    const json = await runCli(["get", "chain", "--port", port, "--json"]);
    assert.equal(JSON.parse(json.stdout).chain[1].data.message, FORGED_LINE);
  } finally {
    await miner.stop();
  }
});
