import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { appendFile, copyFile, mkdir, readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { Block } from "../../src/core/block.js";
import { ChainStore } from "../../src/storage/chain-store.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { marksFilePath } from "../../src/storage/file/block-marks.js";
import { hashFilePath } from "../../src/storage/file/hash-file.js";
import { indexSnapshotPath } from "../../src/storage/index/index-snapshot.js";
import { buildChain, extendChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

/*
 * A model test of the chain store as a node drives it (src/chain/save-chain.ts):
 * random saves, reorg saves, saves that fail part-way (a write that writes half
 * its bytes then fails, a truncate or an fsync that fails: the caller keeps the
 * blocks dirty and saves them again), snapshots, clean stops and crashes (the
 * files copied as they are, the store abandoned; the file's tail sometimes torn
 * or without its last newline, which the start repairs). After every step the .hash is
 * the SHA-256 of the file (or, after a failed save, of a prefix of whole
 * records); every start is trusted, with the chain the model holds, and uses
 * a snapshot whenever one was written for a prefix of the file's bytes.
 * Run with and without the addon's digest (BLOCKCHAIN_NATIVE=off: no checkpoints).
 */

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

type Fault = "none" | "half-write" | "truncate" | "datasync";
type Step =
  | { kind: "save"; back: number; grow: number; fault: Fault }
  | { kind: "snapshot" }
  | { kind: "restart" }
  /** A crash; its file may end with half a record (an append cut short) or lack its last newline. */
  | { kind: "crash"; tail: "whole" | "torn" | "unterminated" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("save" as const),
      // Mostly appends (a snapshot then stays the file's prefix), sometimes a reorg.
      back: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 30 })),
      grow: fc.integer({ min: 0, max: 20 }),
      fault: fc.constantFrom<Fault>("none", "none", "half-write", "truncate", "datasync"),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "snapshot" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("crash" as const),
      tail: fc.constantFrom(
        "whole" as const,
        "whole" as const,
        "torn" as const,
        "unterminated" as const,
      ),
    }),
  },
);

/** The store's file handle, to make one of its calls fail once (a fault the disk could give). */
function failOnce(store: ChainStore, fault: Fault): () => void {
  const handle = (store as unknown as { handle: FileHandle }).handle;
  const restore: (() => void)[] = [];
  const error = () => Object.assign(new Error(`injected ${fault} failure`), { code: "EIO" });
  if (fault === "half-write") {
    const write = handle.write;
    // Half of the first write lands on disk, then the call fails (ENOSPC mid-write).
    const writeAt = write as unknown as (
      bytes: Uint8Array,
      offset: number,
      length: number,
      position: number,
    ) => Promise<unknown>;
    handle.write = (async (bytes: Uint8Array, offset: number, length: number, position: number) => {
      handle.write = write;
      await writeAt.call(handle, bytes, offset, Math.max(1, Math.floor(length / 2)), position);
      throw error();
    }) as unknown as typeof handle.write;
    restore.push(() => {
      handle.write = write;
    });
  } else if (fault === "truncate") {
    const truncate = handle.truncate;
    handle.truncate = (async () => {
      handle.truncate = truncate;
      throw error();
    }) as typeof handle.truncate;
    restore.push(() => {
      handle.truncate = truncate;
    });
  } else if (fault === "datasync") {
    const datasync = handle.datasync;
    handle.datasync = (async () => {
      handle.datasync = datasync;
      throw error();
    }) as typeof handle.datasync;
    restore.push(() => {
      handle.datasync = datasync;
    });
  }
  return () => {
    for (const undo of restore) undo();
  };
}

async function runModel(format: "json" | "binary", steps: Step[], every: number): Promise<void> {
  await withTempDir(async (dir) => {
    let path = join(dir, "chain.dat");
    const options = {
      format,
      difficulty: 1,
      digestCheckpointBytes: every,
      indexSnapshotMinBytes: 0,
    } as const;
    let opened = await ChainStore.open(path, options);
    /** The chain the node holds, and where its unsaved part starts (the caller's dirtyFrom). */
    let chain: Block[] = buildChain(30, { difficulty: 1 });
    let dirtyFrom = 1;
    /** Whether a snapshot was written for the file's current bytes or a prefix of them. */
    let snapshotValid = false;
    /** Whether the last save failed: a crash then may leave a .hash behind the file (a save cut short). */
    let lastSaveFailed = false;
    const hashOf = async () => (await readFile(hashFilePath(path), "utf8")).trim();
    const opens: ChainStore[] = [opened.store];
    const save = async () => {
      await opened.store.save(chain, dirtyFrom);
      dirtyFrom = chain.length;
      lastSaveFailed = false;
    };
    await save();
    try {
      for (const [n, step] of steps.entries()) {
        const where = `step ${n} (${JSON.stringify(step)})`;
        if (step.kind === "save") {
          const keep = Math.max(1, chain.length - step.back);
          let from = dirtyFrom;
          if (keep < chain.length || step.grow > 0) {
            chain = extendChain(chain.slice(0, keep), chain.length - keep + step.grow, {
              difficulty: 1,
              messages: [`step ${n}`],
            });
            from = Math.min(keep, dirtyFrom);
          }
          if (from < opened.store.persistedLength) snapshotValid = false;
          const undo = failOnce(opened.store, step.fault);
          try {
            await opened.store.save(chain, from);
            dirtyFrom = chain.length;
          } catch (err) {
            // The caller keeps every block from `from` on dirty, and saves them again later.
            assert.match((err as Error).message, /injected/, where);
            dirtyFrom = from;
          } finally {
            undo();
          }
          const file = await readFile(path);
          const stored = await hashOf();
          if (dirtyFrom === chain.length) {
            assert.equal(stored, sha256(file), `.hash after ${where}`);
          }
          lastSaveFailed = dirtyFrom < chain.length;
        } else if (step.kind === "snapshot") {
          if (dirtyFrom < chain.length) await save();
          const ids = Buffer.concat(chain.map((b) => Buffer.from(b.data.id, "hex")));
          const why = await opened.store.writeIndexSnapshot(ids, 4096);
          snapshotValid = why === null;
        } else {
          // A restart saves what is dirty first (a clean stop); a crash leaves the files as they are.
          if (step.kind === "restart" && dirtyFrom < chain.length) await save();
          if (step.kind === "restart") await opened.store.close();
          else {
            // The files copied into a fresh folder, as a crash leaves them (the store abandoned).
            const crashed = join(dir, `crash-${n}`);
            await mkdir(crashed);
            const next = join(crashed, "chain.dat");
            for (const [from, to] of [
              [path, next],
              [hashFilePath(path), hashFilePath(next)],
              [marksFilePath(path), marksFilePath(next)],
              [indexSnapshotPath(path), indexSnapshotPath(next)],
            ] as const) {
              await copyFile(from, to).catch((err: NodeJS.ErrnoException) => {
                if (err.code !== "ENOENT") throw err;
              });
            }
            path = next;
            if (step.tail === "torn") {
              // Half the record of a block that was being appended when the node died.
              const next = extendChain(chain, 1, { difficulty: 1, messages: [`torn ${n}`] });
              const record = codecFor(format).encodeRecord(next[next.length - 1] as Block);
              await appendFile(path, record.subarray(0, Math.floor(record.length / 2)));
            } else if (step.tail === "unterminated" && format === "json") {
              // The last line's newline lost (the only repair a JSON file gets besides a cut).
              await truncate(path, (await readFile(path)).length - 1);
            }
          }
          opened = await ChainStore.open(path, options);
          opens.push(opened.store);
          assert.equal(await hashOf(), sha256(await readFile(path)), `.hash at start ${where}`);
          const saved = opened.chain;
          const cutShort = step.kind === "crash" && lastSaveFailed;
          // A damaged tail is repaired at the start: the file is then checked in full.
          const repaired =
            step.kind === "crash" &&
            (step.tail === "torn" || (step.tail === "unterminated" && format === "json"));
          if (repaired) {
            assert.ok(
              opened.warnings.some((w) => /torn last record|lacked its newline/.test(w)),
              `repair warned after ${where}: ${opened.warnings}`,
            );
          }
          if (cutShort) {
            // A save cut short: the file holds what it held (an old branch, or the new one's saved
            // part), checked in full when the .hash is behind it; the node goes on from there.
            chain = saved;
          } else {
            if (!repaired) {
              assert.equal(opened.trusted, true, `trusted after ${where}: ${opened.warnings}`);
            }
            assert.deepEqual(saved, chain, `chain at start ${where}`);
          }
          dirtyFrom = chain.length;
          lastSaveFailed = false;
          if (snapshotValid && !cutShort && !repaired) {
            assert.equal(opened.indexSnapshot.used, true, `snapshot used ${where}`);
          }
        }
      }
      if (dirtyFrom < chain.length) await save();
      await opened.store.close();
      const again = await ChainStore.open(path, options);
      opens.push(again.store);
      assert.equal(again.trusted, true);
      assert.deepEqual(again.chain, chain);
      assert.equal(await hashOf(), sha256(await readFile(path)));
    } finally {
      for (const store of opens) await store.close().catch(() => undefined);
    }
  });
}

for (const format of ["json", "binary"] as const) {
  test(`${format}: a model of saves, reorgs, failed saves, snapshots, restarts and crashes keeps the .hash the file's SHA-256 and every start trusted`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 256, max: 2048 }),
        (steps, every) => runModel(format, steps, every),
      ),
      { numRuns: 25 },
    );
  });
}
