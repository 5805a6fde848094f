import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Watcher } from "../../src/watch/watcher.js";
import type { NetworkSnapshot } from "../../src/watch/wire.js";
import { BIN } from "../helpers/node-process.js";
import { makePrivateGroup, type PrivateGroup } from "../helpers/private-group.js";
import { runCli } from "../helpers/run-cli.js";
import { http, startTestMiner, type TestMiner } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

const FAST = { pollMs: 200, requestTimeoutMs: 2000, maxRetryMs: 300 };

async function snapshotAt(port: number): Promise<NetworkSnapshot> {
  return (await http(`http://127.0.0.1:${port}/network`)).body;
}

/**
 * Two members of a private group whose every read needs a token (or the
 * network key), over TLS: `first` mines, `second` names it as its neighbour
 * (https://). The watcher is given `second` only: `first` is found through it
 * and must be called over HTTPS too.
 */
describe("the watcher on a private network (--private-reads, --write-tokens, TLS)", {
  timeout: 120_000,
}, () => {
  let group: PrivateGroup;
  let first: TestMiner;
  let second: TestMiner;
  let ca: Buffer;

  before(async () => {
    group = await makePrivateGroup({ tls: true });
    const tls = group.tls as { ca: string; cert: string; key: string };
    ca = readFileSync(tls.ca);
    const privateNetwork = {
      networkKeyFile: group.keyFile,
      writeTokensFile: group.tokensFile,
      privateReads: true,
      tlsCertFile: tls.cert,
      tlsKeyFile: tls.key,
      tlsCaFile: tls.ca,
    };
    first = await startTestMiner({ privateNetwork });
    second = await startTestMiner({
      mine: false,
      neighbours: [`https://${first.miner.address}`],
      privateNetwork,
    });
  });
  after(async () => {
    await second?.stop();
    await first?.stop();
    await group?.remove();
  });

  it("follows both nodes given https:// with the token and the CA: reachable, with their real tips", async () => {
    const watcher = new Watcher({
      nodes: [`https://${second.miner.address}`],
      port: 0,
      host: "127.0.0.1",
      maxNodes: 8,
      flushMs: 50,
      follower: FAST,
      token: group.token,
      tlsCa: ca,
    });
    try {
      await watcher.start();
      const mined = await first.miner.addMessage("seen by the view");
      // The block of that message, once both nodes hold it, and the view shows both at it.
      const view = await waitFor(
        async () => {
          const tips = [first, second].map((n) => n.miner.status());
          if (tips.some((s) => s.length < 2) || tips[0]?.tip !== tips[1]?.tip) return null;
          const s = await snapshotAt(watcher.port);
          const agree = [first, second].every((n, i) => {
            const node = s.nodes.find((v) => v.address === n.miner.address);
            return node?.reachable === true && node.tip === tips[i]?.tip;
          });
          return agree && s.nodes.length === 2 ? { s, tip: tips[0]?.tip } : null;
        },
        { timeoutMs: 60_000, what: `both nodes reachable at the tip holding ${mined.id}` },
      );
      for (const node of view.s.nodes) {
        const miner = node.address === first.miner.address ? first.miner : second.miner;
        assert.equal(node.node_id, miner.nodeId);
        assert.equal(node.length, miner.status().length);
      }
      // The block came through the nodes' streams or /blocks/seen, read with the token over TLS.
      const block = await waitFor(
        async () => {
          const s = await snapshotAt(watcher.port);
          const b = s.blocks.find((x) => x.hash === view.tip);
          return b && b.seen_by.length === 2 ? b : null;
        },
        { what: "the new tip seen by both nodes in the view" },
      );
      assert.deepEqual(
        [...block.tip_of].sort(),
        [first.miner.address, second.miner.address].sort(),
      );
    } finally {
      await watcher.stop();
    }
  });

  it("without the token, without the group's CA, or over plain HTTP, marks the node unreachable and says why", async () => {
    const noToken = new Watcher({
      nodes: [`https://${second.miner.address}`],
      port: 0,
      host: "127.0.0.1",
      maxNodes: 8,
      flushMs: 50,
      follower: FAST,
      tlsCa: ca,
    });
    const noCa = new Watcher({
      nodes: [`https://${second.miner.address}`],
      port: 0,
      host: "127.0.0.1",
      maxNodes: 8,
      flushMs: 50,
      follower: FAST,
      token: group.token,
    });
    const plain = new Watcher({
      nodes: [second.miner.address],
      port: 0,
      host: "127.0.0.1",
      maxNodes: 8,
      flushMs: 50,
      follower: FAST,
      token: group.token,
    });
    try {
      await noToken.start();
      await noCa.start();
      await plain.start();
      const why = async (watcher: Watcher) =>
        waitFor(
          async () => {
            const s = await snapshotAt(watcher.port);
            const event = s.events.find(
              (e) => e.kind === "unreachable" && e.node === second.miner.address,
            );
            return event ? { s, reason: String(event.reason) } : null;
          },
          { what: "an unreachable event with its reason" },
        );
      const refused = await why(noToken);
      assert.match(refused.reason, /refused: GET \/status answered 401/);
      assert.match(refused.reason, /reads are private/);
      assert.match(refused.reason, /--token or BLOCKCHAIN_TOKEN/);
      assert.deepEqual(
        refused.s.nodes.map((n) => [n.address, n.reachable]),
        [[second.miner.address, false]],
        "the node stays in the view, unreachable; nothing of its neighbours is learnt",
      );
      const untrusted = await why(noCa);
      assert.match(untrusted.reason, /GET \/status failed: .*give the group's CA with --tls-ca/);
      assert.equal(untrusted.s.nodes[0]?.reachable, false);
      const overHttp = await why(plain);
      assert.match(overHttp.reason, /GET \/status failed: .*write it https:\/\/host:port/);
      // Told once, not at every poll.
      const later = await snapshotAt(noToken.port);
      assert.equal(later.events.filter((e) => e.kind === "unreachable").length, 1);
    } finally {
      await noToken.stop();
      await noCa.stop();
      await plain.stop();
    }
  });

  it("`blockchain watch https://... --tls-ca <pem>` with BLOCKCHAIN_TOKEN follows them from the command line", async () => {
    const tls = group.tls as { ca: string };
    const child = spawn(
      process.execPath,
      [BIN, "watch", `https://${second.miner.address}`, "--tls-ca", tls.ca, "--port", "0"],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, BLOCKCHAIN_TOKEN: group.token },
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    try {
      const url = await waitFor(() => /network view: (http:\S+)/.exec(out)?.[1] ?? null, {
        what: `the view's URL:\n${out}`,
      });
      const port = Number(new URL(url).port);
      await waitFor(
        async () => {
          const s = await snapshotAt(port);
          return s.nodes.length === 2 && s.nodes.every((n) => n.reachable && n.tip !== null);
        },
        { what: "both nodes reachable through the command" },
      );
      child.kill("SIGTERM");
      assert.equal(await exited, 0, out);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    }
  });

  it("`blockchain watch` refuses --tls-ca when no node given is https:// (the CA would go unused)", async () => {
    const tls = group.tls as { ca: string };
    const run = await runCli(["watch", second.miner.address, "--tls-ca", tls.ca, "--port", "0"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--tls-ca is for nodes with TLS, .* write them https:\/\/host:port/);
  });
});
