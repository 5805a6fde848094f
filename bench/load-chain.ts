import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeChainFile } from "../src/storage/chain-file.js";
import type { ChainFormat } from "../src/storage/chain-format.js";
import { ChainStore } from "../src/storage/chain-store.js";
import { buildChain, extendChain } from "../test/helpers/chain-factory.js";

/*
 * Start-up cost of a long chain: a 100,000-block chain at difficulty 1 is
 * built (nothing cached in the repository), written in both formats to a
 * temp folder, then loaded and fully validated with ChainStore.open, as a
 * node does at start. Also times one incremental save of 100 blocks.
 */

const LENGTH = 100_000;
const DIFFICULTY = 1;
const RUNS = 3;

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bench-load-chain-"));
  try {
    let began = performance.now();
    const chain = buildChain(LENGTH, {
      difficulty: DIFFICULTY,
      messages: ["a short message", "grüße 世界 🎉"],
    });
    console.log(
      `built ${LENGTH} blocks at difficulty ${DIFFICULTY} in ${(performance.now() - began).toFixed(0)} ms`,
    );
    for (const format of ["json", "binary"] satisfies ChainFormat[]) {
      const path = join(dir, `chain-${format}.dat`);
      began = performance.now();
      await writeChainFile(path, format, chain);
      const writeMs = performance.now() - began;
      const size = (await stat(path)).size;
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        began = performance.now();
        const { store, chain: loaded } = await ChainStore.open(path, {
          format,
          difficulty: DIFFICULTY,
        });
        times.push(performance.now() - began);
        if (loaded.length !== LENGTH) throw new Error(`loaded ${loaded.length} blocks`);
        await store.close();
      }
      const { store } = await ChainStore.open(path, { format, difficulty: DIFFICULTY });
      const longer = extendChain(chain, 100, { difficulty: DIFFICULTY });
      began = performance.now();
      await store.save(longer, LENGTH);
      const saveMs = performance.now() - began;
      await store.close();
      const best = Math.min(...times);
      console.log(
        `${format.padEnd(6)} file ${mib(size).padStart(9)} (${(size / LENGTH).toFixed(0)} B/block)  ` +
          `write ${writeMs.toFixed(0)} ms  load+validate best of ${RUNS}: ${best.toFixed(0)} ms ` +
          `(${((LENGTH / best) * 1000).toFixed(0)} blocks/s)  save +100 blocks: ${saveMs.toFixed(1)} ms`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
