import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Compressions per second of one stream count: by the wall clock and per CPU second. */
export interface StreamRate {
  wall: number;
  cpu: number;
}

/** The SHA unit's limit on one core, by bench/lib/sha-limit.c: rates of 1 to 4 interleaved streams. */
export interface ShaLimit {
  streams: Record<1 | 2 | 3 | 4, StreamRate>;
  /** The best stream count's rates (the limit). */
  best: StreamRate & { streams: number };
}

const SOURCE = fileURLToPath(new URL("../../../bench/lib/sha-limit.c", import.meta.url));

/**
 * Compiles bench/lib/sha-limit.c (cc -O2) into a scratch folder and runs it
 * `runs` times, `seconds` per stream count each; the rates are each run's
 * mean. The limit, or why it is unknown (no compiler, no SHA extensions).
 */
export function measureShaLimit(seconds: number, runs: number): ShaLimit | string {
  const scratch = mkdtempSync(join(tmpdir(), "bc-sha-limit-"));
  try {
    const binary = join(scratch, "sha-limit");
    const built = spawnSync("cc", ["-O2", "-o", binary, SOURCE], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (built.error) return `no C compiler to build the limit loop (${built.error.message})`;
    if (built.status !== 0) return `the limit loop did not build: ${built.stderr.trim()}`;
    const sums: Record<number, StreamRate> = {};
    for (let run = 0; run < runs; run++) {
      const ran = spawnSync(binary, [String(seconds)], { encoding: "utf8", timeout: 60_000 });
      if (ran.status !== 0)
        return `the limit loop failed: ${ran.stderr.trim() || ran.error?.message}`;
      const out = JSON.parse(ran.stdout) as Record<string, StreamRate | boolean>;
      if (out.sha_ni !== true)
        return "the CPU has no SHA extensions (the limit loop measures those)";
      for (const n of [1, 2, 3, 4]) {
        const rate = out[`streams_${n}`] as StreamRate;
        const sum = sums[n] ?? { wall: 0, cpu: 0 };
        sums[n] = sum;
        sum.wall += rate.wall / runs;
        sum.cpu += rate.cpu / runs;
      }
    }
    const streams = sums as ShaLimit["streams"];
    const bestCount = ([1, 2, 3, 4] as const).reduce((a, b) =>
      streams[b].cpu > streams[a].cpu ? b : a,
    );
    return { streams, best: { ...streams[bestCount], streams: bestCount } };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
