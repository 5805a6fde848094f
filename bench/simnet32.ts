import { simnetUnavailable } from "../test/simnet/simnet.js";
import { recordResults } from "./lib/results.js";
import { measureAgreement } from "./lib/simnet-agreement.js";

/*
 * Agreement of 32 nodes in the simnet (issue 22), in two shapes, each over
 * `SIMNET_RUNS` runs (default 10): every node mining (keys simnet32_*), and 4
 * miners spread around the ring (nodes 0, 8, 16, 24: two in each half of the
 * partition) with 28 relaying nodes started with `--no-mine` (keys
 * simnet32r_*). The scenario of bench/lib/simnet-agreement.ts: 24 messages to
 * random nodes, then a 30 s partition into two halves while each takes 6
 * messages, then the heal. Targets: the last message agreed within 5 s in
 * every run, a heal within 20 s, nothing lost or duplicated. Needs root.
 * `SIMNET32_SHAPES=all|relays` runs one shape; SIMNET_SEED, SIMNET_KEEP,
 * SIMNET_TRACE and SIMNET_LOG_LEVEL as in bench/simnet.ts.
 */

const RUNS = Number(process.env.SIMNET_RUNS ?? 10);
const SEED = Number(process.env.SIMNET_SEED ?? Date.now() % 2 ** 31);
const SHAPES = (process.env.SIMNET32_SHAPES ?? "all,relays").split(",");
const NODES = 32;
const PARTITION_MS = 30_000;

const unavailable = simnetUnavailable();
if (unavailable) {
  console.log(`skipped: ${unavailable}`);
} else {
  if (SHAPES.includes("all")) {
    recordResults(
      await measureAgreement(
        { prefix: "simnet32", nodes: NODES, partitionMs: PARTITION_MS, perHalf: 6 },
        RUNS,
        SEED,
      ),
    );
  }
  if (SHAPES.includes("relays")) {
    recordResults(
      await measureAgreement(
        {
          prefix: "simnet32r",
          nodes: NODES,
          miners: [0, 8, 16, 24],
          partitionMs: PARTITION_MS,
          perHalf: 6,
        },
        RUNS,
        SEED,
      ),
    );
  }
}
