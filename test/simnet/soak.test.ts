import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import {
  chainOf,
  exactlyOnceProblem,
  prng,
  startRing,
  statuses,
  waitAgreement,
} from "./scenario.js";
import { SimNet, simnetUnavailable } from "./simnet.js";

/*
 * The simnet soak, only with BLOCKCHAIN_SOAK=1: 32 miners (BLOCKCHAIN_SOAK_NODES)
 * on their own addresses in a ring, a steady stream of messages to random running nodes,
 * and, for BLOCKCHAIN_SOAK_MINUTES (default 3), repeated partitions into two
 * or three random groups and kill -9 of random nodes (restarted on their
 * address a little later). At the end, every acknowledged message is in the
 * one agreed chain exactly once. BLOCKCHAIN_SOAK_SEED replays a run's choices.
 */
const SOAK = process.env.BLOCKCHAIN_SOAK === "1";
const UNAVAILABLE = SOAK ? simnetUnavailable() : null;
const SKIP = !SOAK
  ? "set BLOCKCHAIN_SOAK=1 to run the soak tests"
  : UNAVAILABLE
    ? `simnet unavailable: ${UNAVAILABLE}`
    : false;
const MINUTES = Number(process.env.BLOCKCHAIN_SOAK_MINUTES ?? 3);
const SEED = Number(process.env.BLOCKCHAIN_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const NODES = Number(process.env.BLOCKCHAIN_SOAK_NODES ?? 32);

let net: SimNet | null = null;
after(async () => {
  await net?.destroy();
});

/** Splits `indexes` into `groups` random groups, none empty. */
function randomGroups(
  indexes: readonly number[],
  groups: number,
  random: () => number,
): number[][] {
  const shuffled = [...indexes].sort(() => random() - 0.5);
  const out: number[][] = Array.from({ length: groups }, () => []);
  for (const [i, index] of shuffled.entries()) out[i % groups]?.push(index);
  return out;
}

test(`${NODES} miners through repeated partitions and kills keep every acknowledged message exactly once`, {
  skip: SKIP,
  timeout: (MINUTES + 10) * 60_000,
}, async () => {
  assert.ok(Number.isFinite(MINUTES) && MINUTES > 0, "BLOCKCHAIN_SOAK_MINUTES must be positive");
  assert.ok(
    Number.isSafeInteger(NODES) && NODES >= 4,
    "BLOCKCHAIN_SOAK_NODES must be an integer of at least 4",
  );
  console.log(`simnet soak: ${NODES} nodes, ${MINUTES} min, seed ${SEED}`);
  const random = prng(SEED);
  net = await SimNet.create({ nodes: NODES });
  const simnet = net;
  const all = simnet.nodes.map((n) => n.index);
  await startRing(simnet);
  const acked: string[] = [];
  const down = new Set<number>();
  const endAt = Date.now() + MINUTES * 60_000;
  let nextEventAt = Date.now() + 10_000;
  let healAt: number | null = null;
  const restartAt = new Map<number, number>();
  let events = 0;
  while (Date.now() < endAt) {
    const up = all.filter((i) => !down.has(i));
    const target = up[Math.floor(random() * up.length)] as number;
    // A refused or cut-off add is not acknowledged: only a 200 counts.
    const id = await simnet.add(target, `soak ${SEED} message ${acked.length}`).catch(() => null);
    if (id) acked.push(id);
    const now = Date.now();
    if (healAt !== null && now >= healAt) {
      simnet.heal();
      healAt = null;
    }
    for (const [index, at] of restartAt) {
      if (now < at) continue;
      await simnet.restart(index);
      down.delete(index);
      restartAt.delete(index);
    }
    if (now >= nextEventAt) {
      events++;
      if (random() < 0.5 && healAt === null) {
        simnet.partition(randomGroups(all, 2 + Math.floor(random() * 2), random));
        healAt = now + 10_000 + random() * 10_000;
      } else if (down.size < 3) {
        const victim = up[Math.floor(random() * up.length)] as number;
        await simnet.kill(victim);
        down.add(victim);
        restartAt.set(victim, now + 5_000 + random() * 10_000);
      }
      nextEventAt = now + 10_000 + random() * 15_000;
    }
    await delay(200 + random() * 300);
  }
  simnet.heal();
  for (const index of restartAt.keys()) await simnet.restart(index);
  const agreedIn = await waitAgreement(simnet, all, acked.length, 300_000, false).catch(
    async (err) => {
      console.log(JSON.stringify(await statuses(simnet, all)));
      // A node that died on its own (not one of the soak's kills) is never restarted: say so, with its last words.
      for (const node of simnet.nodes) {
        if (node.process && !node.process.running)
          console.log(`node ${node.index} is not running; it said:\n${node.process.output()}`);
      }
      throw err;
    },
  );
  console.log(
    `simnet soak: ${acked.length} messages acknowledged, ${events} partitions and kills, agreed ${(agreedIn / 1000).toFixed(1)} s after the end`,
  );
  const chain = await chainOf(simnet, 0);
  // A message whose add was cut off by a kill may be in the chain without an acknowledgement.
  const unacked = chain.slice(1).filter((b) => !acked.includes(b.data.id));
  assert.ok(
    unacked.every((b) => b.data.message.startsWith(`soak ${SEED} message `)),
    "nothing in the chain that was not sent",
  );
  const problem = exactlyOnceProblem(
    chain.filter((b) => !unacked.includes(b)),
    acked,
  );
  assert.equal(problem, null);
  const ids = chain.slice(1).map((b) => b.data.id);
  assert.equal(new Set(ids).size, ids.length, "no message twice");
});
