// `npm run simnet -- --nodes 8 [--difficulty 4] [--minutes M] [--rate-mbit 8]`: starts a
// simnet of miners in a ring (each names the next as its neighbour), prints how to
// reach them, and removes everything on Ctrl-C, SIGTERM, or after M minutes.
import { parseArgs } from "node:util";
import { startRing } from "./scenario.js";
import { SimNet, simnetUnavailable } from "./simnet.js";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "8" },
    difficulty: { type: "string", default: "4" },
    minutes: { type: "string" },
    "rate-mbit": { type: "string", default: "8" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(
    "usage: npm run simnet -- [--nodes 8] [--difficulty 4] [--minutes M] [--rate-mbit 8]\n" +
      "Starts N miners, each in a network namespace of its own on 10.213.0.0/16, in a ring;\n" +
      "Ctrl-C (or M minutes) stops them and removes every namespace and file.",
  );
  process.exit(0);
}

function positive(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, not '${text}'`);
    process.exit(2);
  }
  return value;
}

const nodes = positive("nodes", values.nodes);
const difficulty = positive("difficulty", values.difficulty);
const rateMbit = positive("rate-mbit", values["rate-mbit"]);
const minutes = values.minutes === undefined ? null : positive("minutes", values.minutes);

const unavailable = simnetUnavailable();
if (unavailable) {
  console.error(`simnet: ${unavailable}`);
  process.exit(1);
}

const net = await SimNet.create({ nodes, rateMbit });
await startRing(net, undefined, [
  ...["--difficulty", String(difficulty), "--workers", "1", "--log-level", "info"],
]);
for (const node of net.nodes) {
  console.log(`node ${node.index}  ${node.address}  netns ${node.ns}  socket ${node.socket}`);
}
const first = net.node(0);
console.log(
  `\nReach a node from its namespace, e.g.:\n` +
    `  ip netns exec ${first.ns} ./bin/blockchain get status --host ${first.ip} --port ${first.port}\n` +
    `or from here through its socket:\n` +
    `  curl --unix-socket ${first.socket} http://${first.address}/status\n` +
    `Logs: ${net.dir}/node-N/miner.log. Ctrl-C stops everything and removes it.`,
);

const stop = async () => {
  console.log("\nstopping the simnet...");
  await net.destroy();
  process.exit(0);
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
if (minutes !== null) setTimeout(() => void stop(), minutes * 60_000);
else setInterval(() => undefined, 1 << 30);
