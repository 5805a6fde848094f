import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miner, type MinerOptions } from "../../src/node/miner.js";

export interface TestMiner {
  miner: Miner;
  url: string;
  dir: string;
  chainPath: string;
  /** Stops the miner and removes its folder. */
  stop(): Promise<void>;
}

/** Starts a real Miner in this process on a free loopback port, in a fresh temp folder. */
export async function startTestMiner(
  overrides: Partial<MinerOptions> = {},
  dir?: string,
): Promise<TestMiner> {
  const folder = dir ?? (await mkdtemp(join(tmpdir(), "bc-miner-")));
  const chainPath = overrides.pathToChain ?? join(folder, "chain.json");
  let miner: Miner;
  try {
    miner = new Miner({
      port: 0,
      difficulty: 2,
      workers: 1,
      consoleLog: false,
      logLevel: "warn",
      // Long intervals: tests that need a job run it themselves or set a short one.
      gossipIntervalS: 3600,
      chainSyncIntervalS: 3600,
      dataSyncIntervalS: 3600,
      backupIntervalS: 3600,
      ...overrides,
      pathToChain: chainPath,
    });
    await miner.start();
  } catch (err) {
    // Options refused or a start that fails leave no folder behind.
    if (!dir) await rm(folder, { recursive: true, force: true });
    throw err;
  }
  return {
    miner,
    url: miner.url,
    dir: folder,
    chainPath,
    stop: async () => {
      await miner.stop();
      if (!dir) await rm(folder, { recursive: true, force: true });
    },
  };
}

/** fetch + JSON, returning the status and the parsed body. */
export async function http(
  url: string,
  init: RequestInit = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of many shapes and assert on them
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (metrics, HTML): the text itself.
  }
  return { status: response.status, body, headers: response.headers };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return http(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}
