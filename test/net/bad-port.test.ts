import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { runCli } from "../helpers/run-cli.js";
import { startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

/** Ports the WHATWG fetch standard refuses ("bad ports"), at or above 1024. */
const BAD_PORTS = [6000, 6665, 6666, 6667, 6668, 6669, 6697, 10080, 6566, 6679, 5060, 5061, 4045];

/** The first bad port that is free on loopback now, or null. */
async function freeBadPort(): Promise<number | null> {
  for (const port of BAD_PORTS) {
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return null;
}

test("a neighbour on a browser 'bad port' is synced from, and the CLI reaches a node there", async (t) => {
  const port = await freeBadPort();
  if (port === null) return t.skip(`none of the bad ports ${BAD_PORTS.join(", ")} is free here`);
  const started: TestMiner[] = [];
  try {
    const source = await startTestMiner({ port });
    started.push(source);
    await source.miner.newMessage("served from a bad port");
    await waitFor(() => source.miner.chain.length === 2, { what: "the block to be mined" });

    const follower = await startTestMiner({
      neighbours: [`127.0.0.1:${port}`],
      chainSyncIntervalS: 0.2,
      mine: false,
    });
    started.push(follower);
    await waitFor(() => follower.miner.chain.length === 2, {
      what: `the chain synced from 127.0.0.1:${port}`,
    });

    const cli = await runCli(["get", "status", "--port", String(port), "--json"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).length, 2);
  } finally {
    for (const node of started.reverse()) await node.stop();
  }
});
