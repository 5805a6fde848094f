import { readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";

/*
 * What processes use while idle, read from /proc (Linux): resident memory and
 * CPU time over a window. For the simnet benches' "per idle node" figures.
 */

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const TICKS_PER_S = 100;

/** utime + stime of a process in ticks, and its RSS in bytes; null when it is gone. */
function sample(pid: number): { ticks: number; rssBytes: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    return { ticks, rssBytes: rssKib * 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system, every thread) a process used so far; null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  const now = sample(pid);
  return now === null ? null : now.ticks / TICKS_PER_S;
}

/**
 * The mean RSS (MiB) and CPU (% of one core) of `pids` over `windowMs`; null
 * when none could be read (not Linux, or every process gone).
 */
export async function idleUse(
  pids: readonly number[],
  windowMs: number,
): Promise<{ rssMib: number; cpuPct: number } | null> {
  const before = pids.map(sample);
  const began = Date.now();
  await delay(windowMs);
  const seconds = (Date.now() - began) / 1000;
  const after = pids.map(sample);
  const used: { rss: number; cpu: number }[] = [];
  for (const [i, end] of after.entries()) {
    const start = before[i];
    if (!start || !end) continue;
    used.push({ rss: end.rssBytes, cpu: (end.ticks - start.ticks) / TICKS_PER_S / seconds });
  }
  if (used.length === 0) return null;
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    rssMib: mean(used.map((u) => u.rss)) / 2 ** 20,
    cpuPct: 100 * mean(used.map((u) => u.cpu)),
  };
}

/** Resident memory of a process in MiB; null when it is gone. */
export function rssMib(pid: number): number | null {
  const now = sample(pid);
  return now === null ? null : now.rssBytes / 2 ** 20;
}
