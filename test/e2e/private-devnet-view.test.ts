import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { NetworkSnapshot } from "../../src/watch/wire.js";
import { DevnetProcess } from "../helpers/devnet-process.js";
import { http } from "../helpers/start-miner.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * `devnet --private --tls`: its nodes serve HTTPS only, with certificates of
 * a CA made for the devnet, and take writes with a token only. Its view must
 * still see every node, and its teaching controls must still reach them.
 */
describe("devnet --private --tls runs its view against its private nodes", {
  timeout: 180_000,
}, () => {
  let devnet: DevnetProcess;
  let view: string;

  before(async () => {
    devnet = await DevnetProcess.start({
      nodes: 3,
      difficulty: 2,
      args: ["--private", "--tls"],
      timeoutMs: 90_000,
    });
    view = devnet.viewUrl;
  });
  after(async () => {
    assert.equal(await devnet?.stop(), 0, devnet?.printed);
  });

  const snapshot = async (): Promise<NetworkSnapshot> => (await http(`${view}network`)).body;
  const everyNodeReachable = (what: string) =>
    waitFor(
      async () => {
        const s = await snapshot();
        return s.nodes.length === 3 && s.nodes.every((n) => n.reachable && n.tip !== null)
          ? s
          : null;
      },
      { timeoutMs: 60_000, what: `${what}:\n${devnet.printed}` },
    );

  it("prints the view's URL, and the view lists its 3 nodes, reachable over HTTPS, with their tips", async () => {
    assert.match(devnet.printed, /node-0 https:\/\/127\.0\.0\.1:\d+/);
    assert.match(view, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const s = await everyNodeReachable("3 reachable nodes in the view");
    assert.deepEqual(s.nodes.map((n) => n.address).sort(), [...devnet.addresses].sort());
    assert.equal(s.controls, true, "a devnet's view has its buttons");
  });

  it("its controls (split, heal, stop, start) reach the HTTPS nodes", async () => {
    const page = await fetch(view, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
    const pageToken = /<meta name="view-token" content="([0-9a-f]+)">/.exec(page)?.[1];
    assert.ok(pageToken, "the page carries its control token");
    const press = async (path: string) =>
      http(`${view}control/${path}`, { method: "POST", headers: { "x-view-token": pageToken } });

    const split = await press("split");
    assert.equal(split.status, 200, JSON.stringify(split.body));
    assert.equal(split.body.groups.length, 2);
    const healed = await press("heal");
    assert.equal(healed.status, 200, JSON.stringify(healed.body));

    const last = devnet.addresses[2] as string;
    const stopped = await press(`stop?node=${encodeURIComponent(last)}`);
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    await waitFor(
      async () => (await snapshot()).nodes.find((n) => n.address === last)?.reachable === false,
      { timeoutMs: 30_000, what: `${last} marked unreachable` },
    );
    const started = await press(`start?node=${encodeURIComponent(last)}`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    await everyNodeReachable(`${last} reachable again`);
  });
});
