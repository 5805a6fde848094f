import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { newDataId } from "../src/core/data.js";
import { PendingJournal } from "../src/pool/pending-journal.js";

/*
 * Acknowledged (fdatasync'ed) adds per second of the pending journal, with 1,
 * 16 and 256 adds in flight at once, as a busy node's HTTP handlers would
 * have them. Group commit shows as fewer syncs than adds when concurrency grows.
 * The journal lives in the OS temp directory; set BENCH_DIR to measure another disk.
 */

const SECONDS = 3;
const MESSAGE = "x".repeat(200);

async function measure(root: string, concurrency: number): Promise<void> {
  const { journal } = await PendingJournal.open(join(root, `journal-${concurrency}.jsonl`));
  let acked = 0;
  const began = performance.now();
  const deadline = began + SECONDS * 1000;
  const lane = async () => {
    while (performance.now() < deadline) {
      await journal.add({ id: newDataId(), message: MESSAGE });
      acked++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    await journal.close();
  }
  const elapsedS = (performance.now() - began) / 1000;
  const syncs = journal.fsyncCount;
  console.log(
    `concurrency ${String(concurrency).padStart(3)}: ${(acked / elapsedS).toFixed(0).padStart(7)} acked adds/s, ` +
      `${syncs} fsyncs for ${acked} adds (${(acked / Math.max(syncs, 1)).toFixed(1)} adds per fsync)`,
  );
}

const root = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), "journal-bench-"));
console.log(`journal in ${root}, ${SECONDS} s per measure, ${MESSAGE.length}-byte messages`);
try {
  for (const concurrency of [1, 16, 256]) await measure(root, concurrency);
} finally {
  await rm(root, { recursive: true, force: true });
}
