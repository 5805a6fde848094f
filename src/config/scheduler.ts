import type { Logger } from "pino";

interface Job {
  name: string;
  intervalMs: number;
  run: () => Promise<void> | void;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
}

/**
 * Runs periodic jobs: each job waits for its previous run to finish before the
 * next is scheduled, so a slow neighbour never piles up runs; a failing run is
 * logged and the job goes on. `stop()` clears every timer and awaits running jobs.
 */
export class JobScheduler {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(private readonly deps: { logger: Logger }) {}

  /** Runs `run` every `intervalSeconds` (fractions allowed), first after one interval. */
  every(name: string, intervalSeconds: number, run: () => Promise<void> | void): void {
    if (!(intervalSeconds > 0)) throw new RangeError(`${name} interval must be positive`);
    const job: Job = { name, intervalMs: intervalSeconds * 1000, run, timer: null, running: null };
    this.jobs.set(name, job);
    this.schedule(job);
  }

  /** Runs a job now (unless it is running already) and resolves when that run ends. */
  async runNow(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job || this.stopped) return;
    if (job.running) return job.running;
    if (job.timer) clearTimeout(job.timer);
    await this.execute(job);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs.values()) {
      if (job.timer) clearTimeout(job.timer);
      job.timer = null;
    }
    await Promise.all([...this.jobs.values()].map((job) => job.running));
  }

  private schedule(job: Job): void {
    if (this.stopped) return;
    job.timer = setTimeout(() => void this.execute(job), job.intervalMs);
  }

  private async execute(job: Job): Promise<void> {
    job.timer = null;
    const run = (async () => {
      try {
        await job.run();
      } catch (err) {
        this.deps.logger.warn({ err, job: job.name }, `job ${job.name} failed`);
      }
    })();
    job.running = run;
    await run;
    job.running = null;
    this.schedule(job);
  }
}
