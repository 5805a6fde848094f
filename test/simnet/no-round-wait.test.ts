import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  chainOf,
  exactlyOnceProblem,
  prng,
  SIMNET_NODE_FLAGS,
  sendRandom,
  waitAgreement,
} from "./scenario.js";
import { SimNet, simnetUnavailable } from "./simnet.js";

/*
 * Agreement that never waits for a periodic round (issue 22). Eight miners in
 * the simnet whose chain sync, data sync and gossip run only every 10 minutes
 * (after the one round each at start-up): every block and message must then
 * reach every node by push and by the syncs that push and its answers start.
 * The deadline of each agreement is far below that interval and far above
 * what an agreement takes on a loaded machine (well under a second to a few
 * seconds), so a stall that only the next round would end (a tie not given
 * up, an announce dropped, a sync that ends without the better branch) fails
 * the test, and a slow machine does not.
 */
const UNAVAILABLE = simnetUnavailable();
const SKIP = UNAVAILABLE ? `simnet unavailable: ${UNAVAILABLE}` : false;
const SEED = Number(process.env.SIMNET_SEED ?? Date.now() % 2 ** 31);
/** The periodic jobs' interval: no round falls within the test after the start-up one. */
const ROUND_S = 600;
/** An agreement waits this long at most: far below ROUND_S. */
const DEADLINE_MS = 30_000;
const NODES = 8;

describe("eight miners agree without waiting for a periodic round", {
  skip: SKIP,
  timeout: 300_000,
}, () => {
  let net: SimNet;
  const acked: string[] = [];
  const random = prng(SEED);
  const all = Array.from({ length: NODES }, (_, i) => i);

  before(async () => {
    net = await SimNet.create({ nodes: NODES });
    const rounds = ["--chain-sync-interval", "--data-sync-interval", "--gossip-interval"];
    const flags = [...SIMNET_NODE_FLAGS, ...rounds.flatMap((f) => [f, `${ROUND_S}`])];
    // Each node names the next three, a full table (as gossip fills it in the bench's
    // ring): it is pushed to by nodes it does not push to, whose announces it cannot
    // answer by a sync of its own (the stall of issue 22).
    await Promise.all(
      all.map((i) => {
        const next = [1, 2, 3].map((k) => net.node((i + k) % NODES).address);
        return net.start(i, {
          args: [...flags, "--max-neighbours", "3", "--neighbours", next.join(",")],
        });
      }),
    );
  });
  after(async () => {
    await net?.destroy();
  });

  it(`on messages sent one by one to random nodes (seed ${SEED})`, async () => {
    acked.push(...(await sendRandom(net, 24, all, random, `seed ${SEED} one by one`)));
    await waitAgreement(net, all, acked.length, DEADLINE_MS);
    assert.equal(exactlyOnceProblem(await chainOf(net, 0), acked), null);
  });

  it("on messages sent to every node at once (every miner finds the same proofs: ties)", async () => {
    for (let burst = 0; burst < 4; burst++) {
      const ids = await Promise.all(all.map((i) => net.add(i, `burst ${burst} to node ${i}`)));
      acked.push(...ids);
      await waitAgreement(net, all, acked.length, DEADLINE_MS);
    }
    assert.equal(exactlyOnceProblem(await chainOf(net, 0), acked), null);
  });
});
