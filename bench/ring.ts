import { performance } from "node:perf_hooks";
import { addMessage, freePort, getJson, NodeProcess } from "../test/helpers/node-process.js";
import { recordResults } from "./lib/results.js";

/*
 * Agreement in a ring: three miners (node i's neighbour is node i+1), at
 * difficulty 4 with the default job intervals and one worker each; 20
 * messages submitted one after another round the ring. Measures the time from
 * the first message to all three nodes holding one chain with every message
 * and nothing pending. Key: ring_agree_s.
 */

const MESSAGES = 20;

interface Status {
  length: number;
  tip: string;
  pending: number;
}

const ports = [await freePort(), await freePort(), await freePort()];
const nodes: NodeProcess[] = [];
try {
  for (const [i, port] of ports.entries()) {
    const next = ports[(i + 1) % ports.length];
    nodes.push(
      await NodeProcess.start({
        port,
        args: ["--difficulty", "4", "--workers", "1", "--log-level", "warn"].concat([
          "--neighbours",
          `127.0.0.1:${next}`,
        ]),
      }),
    );
  }
  const began = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    await addMessage((nodes[i % nodes.length] as NodeProcess).url, `ring bench message ${i}`);
  }
  const deadline = Date.now() + 120_000;
  for (;;) {
    const statuses = await Promise.all(nodes.map((n) => getJson<Status>(`${n.url}/status`)));
    const first = statuses[0] as Status;
    const agreed = statuses.every(
      (s) => s.tip === first.tip && s.length === MESSAGES + 1 && s.pending === 0,
    );
    if (agreed) break;
    if (Date.now() > deadline)
      throw new Error(`no agreement within 120 s: ${JSON.stringify(statuses)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const seconds = (performance.now() - began) / 1000;
  console.log(
    `3-miner ring, difficulty 4: ${MESSAGES} messages agreed ${seconds.toFixed(2)} s after the first`,
  );
  recordResults({ ring_agree_s: seconds });
} finally {
  await Promise.all(nodes.map((node) => node.stop()));
}
