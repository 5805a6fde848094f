import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import {
  originalSearchInput,
  type ProofSearchInput,
  proofOfWork,
  searchProofRange,
} from "../../src/core/pow.js";
import { loadNativeScanner } from "../../src/mining/native-scanner.js";
import { ProofSearchError } from "../../src/mining/proof-search-error.js";
import { ProofSearchPool } from "../../src/mining/proof-search-pool.js";
import { waitFor } from "../helpers/wait-for.js";

const VECTORS: ReadonlyArray<[number | null, number]> = [
  [null, 1],
  [null, 3],
  [0, 3],
  [7, 2],
  [59850, 3],
  [123456, 3],
  [9007199254740991, 2],
];

/** Each engine the pool can run: the native core (where built) and the TypeScript fallback. */
const ENGINES = [
  { native: "1", skip: loadNativeScanner("1").scanner ? false : "the native core is not built" },
  { native: "0", skip: false },
] as const;

for (const { native, skip } of ENGINES) {
  describe(`ProofSearchPool (BLOCKCHAIN_NATIVE=${native})`, { skip }, () => {
    /** Runs `body` with a pool and always closes it, so no worker outlives the test. */
    async function withPool<T>(
      opts: ConstructorParameters<typeof ProofSearchPool>[0],
      body: (pool: ProofSearchPool) => Promise<T>,
    ): Promise<T> {
      const pool = new ProofSearchPool({ native, ...opts });
      try {
        return await body(pool);
      } finally {
        await pool.close();
      }
    }

    it("proofOfWork(null, 4) is 59850", () => {
      assert.equal(proofOfWork(null, 4), 59850);
    });

    for (const workers of [1, 2, 3]) {
      it(`finds exactly proofOfWork's proof with ${workers} worker(s) and small chunks`, async () => {
        await withPool({ workers, chunkSize: 97 }, async (pool) => {
          for (const [lastProof, difficulty] of VECTORS) {
            const found = await pool.search(originalSearchInput(lastProof), difficulty);
            assert.ok(found, `no proof for ${lastProof}, ${difficulty}`);
            assert.equal(
              found.proof,
              proofOfWork(lastProof, difficulty),
              `${lastProof}, ${difficulty}`,
            );
            assert.ok(found.hashes >= 1);
          }
        });
      });
    }

    it("searches the rule's input: a long prefix and a suffix give the core's smallest proof", async () => {
      const input = { prefix: `${'{"index":1,"data":"é"'.repeat(4)},"proof":`, suffix: "}" };
      const expected = searchProofRange(input, 0, 1_000_000, 3).proof;
      await withPool({ workers: 2, chunkSize: 500 }, async (pool) => {
        const found = await pool.search(input, 3);
        assert.equal(found?.proof, expected);
      });
    });

    it("finds 59850 after null at difficulty 4 across many chunks and workers", async () => {
      await withPool({ workers: 3, chunkSize: 1000 }, async (pool) => {
        const found = await pool.search(originalSearchInput(null), 4);
        assert.equal(found?.proof, 59850);
        // The answer lies in chunk 59, so at least the 59 chunks below it were hashed in full.
        assert.ok((found?.hashes ?? 0) >= 59_851);
      });
    });

    it("reports a hashrate and counts every hash after a search", async () => {
      await withPool({ workers: 2, chunkSize: 5000 }, async (pool) => {
        assert.equal(pool.hashrate, 0);
        await pool.search(originalSearchInput(null), 4);
        assert.ok(pool.hashrate > 0);
        assert.ok(pool.totalHashes >= 59_851);
      });
    });

    it("resolves null when aborted, and stays usable", async () => {
      await withPool({ workers: 2 }, async (pool) => {
        const controller = new AbortController();
        // Difficulty 12 would take hours: only the abort can end this search.
        const running = pool.search(originalSearchInput(1), 12, controller.signal);
        assert.equal(pool.searching, true);
        await nextTurn();
        controller.abort();
        assert.equal(await running, null);
        assert.equal(pool.searching, false);
        const found = await pool.search(originalSearchInput(null), 4);
        assert.equal(found?.proof, 59850);
      });
    });

    it("resolves null at once for a signal already aborted", async () => {
      await withPool({ workers: 1 }, async (pool) => {
        assert.equal(await pool.search(originalSearchInput(null), 4, AbortSignal.abort()), null);
        assert.equal(pool.searching, false);
      });
    });

    it("rejects a second search while one runs", async () => {
      await withPool({ workers: 1 }, async (pool) => {
        const controller = new AbortController();
        const first = pool.search(originalSearchInput(1), 12, controller.signal);
        await assert.rejects(pool.search(originalSearchInput(null), 4), (err: unknown) => {
          assert.ok(err instanceof ProofSearchError);
          assert.equal(err.code, "SEARCH_BUSY");
          return true;
        });
        controller.abort();
        assert.equal(await first, null);
      });
    });

    it("rejects a bad difficulty or search input with a RangeError", async () => {
      await withPool({ workers: 1 }, async (pool) => {
        await assert.rejects(pool.search(originalSearchInput(null), 0), RangeError);
        await assert.rejects(pool.search(originalSearchInput(null), 1.5), RangeError);
        await assert.rejects(
          pool.search({ prefix: -1 } as unknown as ProofSearchInput, 3),
          RangeError,
        );
      });
    });

    it("keeps the event loop turning during a search at difficulty 6", async () => {
      await withPool({ workers: 2 }, async (pool) => {
        const controller = new AbortController();
        const running = pool.search(originalSearchInput(424242), 6, controller.signal);
        let ticksWhileSearching = 0;
        // Abort after a few turns of the loop: whichever ends first, the loop must have turned.
        while (pool.searching && ticksWhileSearching < 20) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (pool.searching) ticksWhileSearching++;
        }
        controller.abort();
        await running;
        assert.ok(ticksWhileSearching > 0, "no timer tick ran while the search was running");
      });
    });

    it("resolves a running search with null when closed", async () => {
      const pool = new ProofSearchPool({ native, workers: 2 });
      const running = pool.search(originalSearchInput(1), 12);
      await nextTurn();
      await pool.close();
      assert.equal(await running, null);
      assert.equal(await pool.search(originalSearchInput(null), 4), null);
    });

    it("leaves no worker thread running after close", async () => {
      const before = process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length;
      const pool = new ProofSearchPool({ native, workers: 3, chunkSize: 1000 });
      await pool.search(originalSearchInput(null), 3);
      const during = process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length;
      assert.ok(during > before, "the workers should hold message ports while the pool is open");
      await pool.close();
      const after = process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length;
      assert.equal(after, before);
    });

    it("rejects with WORKER_CRASHED instead of hanging when a worker dies", async () => {
      const workerUrl = new URL("./fixtures/crashing-worker.js", import.meta.url);
      await withPool({ workers: 2, workerUrl }, async (pool) => {
        for (let attempt = 0; attempt < 2; attempt++) {
          await assert.rejects(pool.search(originalSearchInput(null), 4), (err: unknown) => {
            assert.ok(err instanceof ProofSearchError);
            assert.equal(err.code, "WORKER_CRASHED");
            return true;
          });
          assert.equal(pool.searching, false);
        }
      });
    });

    it("says which engine mines", async () => {
      await withPool({ workers: 1 }, async (pool) => {
        if (native === "0") assert.equal(pool.engine, "js");
        else assert.match(pool.engine, /^native-(sha-ni|portable)$/);
        assert.ok(pool.engineReason.length > 0);
      });
    });

    it("counts hashes live while a long search runs, before it ends", async () => {
      let reported = 0;
      await withPool({ workers: 2, onHashes: (n) => (reported += n) }, async (pool) => {
        const controller = new AbortController();
        // Difficulty 14 takes far longer than this test: only the abort ends it.
        const running = pool.search(originalSearchInput(1), 14, controller.signal);
        try {
          await waitFor(() => pool.totalHashes > 0 && pool.hashrate > 0, {
            what: "a first report",
          });
          const first = pool.totalHashes;
          await waitFor(() => pool.totalHashes > first, { what: "a second report" });
          assert.equal(pool.searching, true, "the counter must grow while the search runs");
          assert.equal(reported, pool.totalHashes);
        } finally {
          controller.abort();
        }
        assert.equal(await running, null);
      });
    });
  });
}
