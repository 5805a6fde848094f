// Bursts of events (a sync brings thousands of `block` events) must not become
// bursts of requests: at most one refresh runs, and at most one more follows it.

/** Wraps `task` so that calls during a run collapse into a single re-run after it. */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task().catch(() => undefined);
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  return run;
}
