import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFile, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { Block } from "../../src/core/block.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { hashBlock } from "../../src/core/hash.js";
import {
  ChainLoadError,
  ChainStore,
  type ChainStoreOptions,
  hashFilePath,
  normalizeFormat,
  writeChainFile,
} from "../../src/storage/chain-store.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { markOf, marksFilePath } from "../../src/storage/file/block-marks.js";
import { buildChain, extendChain } from "../helpers/chain-factory.js";
import { withTempDir } from "../helpers/temp-dir.js";

const D = 1;
const FORMATS = ["json", "binary"] as const;
/** Multi-byte and astral characters, so that cuts fall inside UTF-8 sequences too. */
const MESSAGES = ["hello", "grüße, 世界", "emoji 🎉🎉", "x".repeat(40)];
const CHAIN = buildChain(8, { difficulty: D, messages: MESSAGES });

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function fileOf(chain: readonly Block[], format: "json" | "binary"): Buffer {
  const codec = codecFor(format);
  return Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
}

async function openStore(
  path: string,
  format: "json" | "binary",
  extra: Partial<ChainStoreOptions> = {},
) {
  return ChainStore.open(path, { format, difficulty: D, ...extra });
}

/** Saves `chain` through a ChainStore (so its .hash and marks are written), then closes it. */
async function saveWithStore(path: string, format: "json" | "binary", chain: readonly Block[]) {
  const { store } = await openStore(path, format);
  await store.save(chain, 1);
  await store.close();
}

/**
 * `chain` with block `index`'s message replaced and every later block
 * re-linked: still valid under the original rule, whose proofs ignore content.
 */
function relinkedWith(chain: readonly Block[], index: number, message: string): Block[] {
  const out = chain.map((b) => ({ ...b, data: { ...b.data } }));
  (out[index] as Block).data.message = message;
  for (let i = index + 1; i < out.length; i++) {
    (out[i] as Block).previous_hash = hashBlock(out[i - 1] as Block);
  }
  return out;
}

/** Asserts that loading `path` throws a ChainLoadError with `code` and leaves the file byte for byte as it was. */
async function assertRefused(
  path: string,
  format: "json" | "binary",
  code: string,
): Promise<ChainLoadError> {
  const before = await readFile(path);
  const err = await openStore(path, format).then(
    () => assert.fail("the load should have been refused"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChainLoadError, String(err));
  assert.equal(err.code, code, err.message);
  assert.ok(err.message.includes(path), err.message);
  assert.deepEqual(await readFile(path), before);
  return err;
}

test("hashFilePath drops the extension and adds .hash", () => {
  assert.equal(hashFilePath("/a/b/chain.json"), "/a/b/chain.hash");
  assert.equal(hashFilePath("/a/b/chain"), "/a/b/chain.hash");
  assert.equal(hashFilePath("chain.bin"), "chain.hash");
  assert.equal(hashFilePath("/a/chain.hash"), "/a/chain.hash.hash");
});

for (const format of FORMATS) {
  test(`${format}: a missing file is created with genesis, parent folders included, and its .hash`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "deep", "er", "chain.dat");
      const { store, chain, warnings } = await openStore(path, format);
      await store.close();
      assert.deepEqual(chain, [genesisBlock()]);
      assert.deepEqual(warnings, []);
      assert.equal(store.persistedLength, 1);
      const bytes = await readFile(path);
      assert.deepEqual(bytes, fileOf([genesisBlock()], format));
      assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(bytes));
    });
  });

  test(`${format}: blocks appended then reloaded give the same chain`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const { store } = await openStore(path, format);
      await store.save(CHAIN.slice(0, 3), 1);
      await store.save(CHAIN.slice(0, 5), 3);
      await store.save(CHAIN, 5);
      assert.equal(store.persistedLength, CHAIN.length);
      await store.close();
      const again = await openStore(path, format);
      await again.store.close();
      assert.deepEqual(again.chain, CHAIN);
      assert.deepEqual(again.warnings, []);
      assert.deepEqual(await readFile(path), fileOf(CHAIN, format));
    });
  });

  test(`${format}: property: any sequence of appends reloads as the saved chain, .hash = sha256(file)`, async () => {
    await withTempDir(async (dir) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5 }),
          async (steps) => {
            const path = join(dir, `chain-${run++}.dat`);
            const { store } = await openStore(path, format);
            let length = 1;
            for (const step of steps) {
              const next = Math.min(CHAIN.length, length + step);
              await store.save(CHAIN.slice(0, next), length);
              length = next;
              assert.equal(
                await readFile(hashFilePath(path), "utf8"),
                sha256(await readFile(path)),
              );
            }
            await store.close();
            const again = await openStore(path, format);
            await again.store.close();
            assert.deepEqual(again.chain, CHAIN.slice(0, length));
          },
        ),
        { numRuns: 25 },
      );
    });
  });

  test(`${format}: a switch of branch rewrites the file only from the fork point`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const { store } = await openStore(path, format);
      await store.save(CHAIN, 1);
      const before = await readFile(path);
      const fork = extendChain(CHAIN.slice(0, 4), 6, {
        difficulty: D,
        messages: ["other branch"],
        startTimestamp: 1_700_000_100_000,
      });
      await store.save(fork, 4);
      assert.equal(store.persistedLength, fork.length);
      await store.close();
      const after = await readFile(path);
      const keep = fileOf(CHAIN.slice(0, 4), format).length;
      assert.deepEqual(after.subarray(0, keep), before.subarray(0, keep));
      assert.deepEqual(after, fileOf(fork, format));
      assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(after));
      const again = await openStore(path, format);
      await again.store.close();
      assert.deepEqual(again.chain, fork);
    });
  });

  test(`${format}: a switch to a shorter-from-the-fork branch then appends keeps .hash in step`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const { store } = await openStore(path, format);
      await store.save(CHAIN, 1);
      const fork = extendChain(CHAIN.slice(0, 2), 1, {
        difficulty: D,
        messages: ["b"],
        startTimestamp: 1_700_000_100_000,
      });
      await store.save(fork, 2);
      const longer = extendChain(fork, 3, { difficulty: D, messages: ["c"] });
      await store.save(longer, fork.length);
      await store.close();
      const bytes = await readFile(path);
      assert.deepEqual(bytes, fileOf(longer, format));
      assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(bytes));
    });
  });

  test(`${format}: a torn last record is cut off with a warning`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const whole = fileOf(CHAIN, format);
      const lastStart = fileOf(CHAIN.slice(0, -1), format).length;
      await writeFile(path, whole.subarray(0, lastStart + 5));
      const warned: string[] = [];
      const { store, chain, warnings } = await openStore(path, format, {
        logger: { warn: (m) => warned.push(m) },
      });
      await store.close();
      assert.deepEqual(chain, CHAIN.slice(0, -1));
      assert.ok(
        warnings.some((w) => /torn last record at byte offset/.test(w)),
        warnings.join("\n"),
      );
      assert.deepEqual(warned, warnings);
      assert.deepEqual(await readFile(path), whole.subarray(0, lastStart));
    });
  });

  test(`${format}: a file cut at any byte offset loads as a valid prefix`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const whole = fileOf(CHAIN, format);
      const ends = CHAIN.map((_, i) => fileOf(CHAIN.slice(0, i + 1), format).length);
      for (let cut = 0; cut <= whole.length; cut++) {
        await writeFile(path, whole.subarray(0, cut));
        if (codecFor(format).decode(whole.subarray(0, cut), path).records.length === 0) {
          // Not one whole block: never cut or replaced (SPEC section 5).
          await assertRefused(path, format, "NO_WHOLE_BLOCK");
          continue;
        }
        const { store, chain } = await openStore(path, format);
        await store.close();
        const whole_records = Math.max(1, ends.filter((end) => end <= cut).length);
        assert.ok(chain.length >= whole_records, `cut at ${cut}: ${chain.length} blocks`);
        assert.deepEqual(chain, CHAIN.slice(0, chain.length), `cut at ${cut}`);
        const bytes = await readFile(path);
        assert.deepEqual(bytes, fileOf(chain, format), `cut at ${cut}`);
        assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(bytes));
      }
    });
  });

  test(`${format}: property: a file cut or with a byte changed loads a valid prefix or throws ChainLoadError`, async () => {
    await withTempDir(async (dir) => {
      const whole = fileOf(CHAIN, format);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.nat(whole.length),
          fc.option(fc.tuple(fc.nat(whole.length - 1), fc.integer({ min: 0, max: 255 }))),
          async (cut, change) => {
            const path = join(dir, `chain-${run++}.dat`);
            const bytes = Buffer.from(whole);
            if (change) bytes[change[0]] = change[1];
            await writeFile(path, bytes.subarray(0, cut));
            try {
              const { store, chain } = await openStore(path, format);
              await store.close();
              assert.ok(chain.length >= 1);
              // A changed byte can only survive where no later block covers it: the tip's message.
              assert.deepEqual(chain.slice(0, -1), CHAIN.slice(0, chain.length - 1));
            } catch (err) {
              assert.ok(err instanceof ChainLoadError, String(err));
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  test(`${format}: an invalid chain is refused with the block index and reason, file untouched`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const broken = structuredClone(CHAIN);
      (broken[3] as Block).previous_hash = "0".repeat(64);
      await writeChainFile(path, format, broken);
      const err = await assertRefused(path, format, "INVALID_CHAIN");
      assert.equal(err.index, 3);
      assert.match(
        err.message,
        /block 3.*byte offset \d+: previous_hash is not the hash of the preceding block/,
      );
    });
  });

  test(`${format}: a chain below the node's difficulty is refused`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChainFile(path, format, CHAIN);
      const err = await ChainStore.open(path, { format, difficulty: 12 }).catch((e: unknown) => e);
      assert.ok(err instanceof ChainLoadError);
      assert.equal(err.code, "INVALID_CHAIN");
      assert.equal(err.index, 1);
    });
  });

  test(`${format}: forceNewChain moves the old file and its .hash to a backup and starts from genesis`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const first = await openStore(path, format);
      await first.store.save(CHAIN, 1);
      await first.store.close();
      const oldBytes = await readFile(path);
      const oldHash = await readFile(hashFilePath(path), "utf8");
      const { store, chain, warnings } = await openStore(path, format, { forceNewChain: true });
      await store.close();
      assert.deepEqual(chain, [genesisBlock()]);
      assert.ok(warnings.some((w) => w.includes(".bak")));
      const names = await readdir(dir);
      const backup = names.find((n) => /^chain\.dat\..+\.bak$/.test(n));
      const hashBackup = names.find((n) => /^chain\.hash\..+\.bak$/.test(n));
      assert.ok(backup && hashBackup, names.join(", "));
      assert.deepEqual(await readFile(join(dir, backup)), oldBytes);
      assert.equal(await readFile(join(dir, hashBackup), "utf8"), oldHash);
      assert.deepEqual(await readFile(path), fileOf([genesisBlock()], format));
    });
  });

  test(`${format}: forceNewChain after one cut short (the file moved to its backup, its .hash not yet) starts from genesis and moves the .hash aside too`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const first = await openStore(path, format);
      await first.store.save(CHAIN, 1);
      await first.store.close();
      const oldHash = await readFile(hashFilePath(path), "utf8");
      // moveToBackup's first rename, then the process ended (a second signal during the start, a crash).
      await rename(path, `${path}.2026-01-01T00-00-00.000Z.bak`);
      const { store, chain, warnings } = await openStore(path, format, { forceNewChain: true });
      await store.close();
      assert.deepEqual(chain, [genesisBlock()]);
      assert.ok(
        warnings.some((w) => w.includes(".bak")),
        warnings.join("\n"),
      );
      const names = await readdir(dir);
      const hashBackup = names.find((n) => /^chain\.hash\..+\.bak$/.test(n));
      assert.ok(hashBackup, names.join(", "));
      assert.equal(await readFile(join(dir, hashBackup), "utf8"), oldHash);
      assert.deepEqual(await readFile(path), fileOf([genesisBlock()], format));
    });
  });

  // Attack 8 of issue 12: a flipped byte in the tip's message was loaded, the .hash "fixed".
  test(`${format}: a tip whose message changed since the last backup stops the start naming it`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await saveWithStore(path, format, CHAIN);
      // Under the original rule the proof does not depend on the message: the file stays valid.
      const forged = relinkedWith(CHAIN, CHAIN.length - 1, "forged");
      await writeChainFile(path, format, forged);
      const err = await assertRefused(path, format, "MODIFIED_CHAIN");
      assert.match(err.message, /block 7 changed since the last backup/);
      assert.match(err.message, /--accept-modified-chain/);
    });
  });

  test(`${format}: a relinked block in the middle is named, and --accept-modified-chain takes the file`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await saveWithStore(path, format, CHAIN);
      const forged = relinkedWith(CHAIN, 3, "rewritten history");
      await writeChainFile(path, format, forged);
      const err = await assertRefused(path, format, "MODIFIED_CHAIN");
      assert.match(err.message, /block 3 changed/);
      const { store, chain, warnings } = await openStore(path, format, {
        acceptModifiedChain: true,
      });
      await store.close();
      assert.deepEqual(chain, forged);
      assert.ok(
        warnings.some((w) => /block 3 changed.*--accept-modified-chain/.test(w)),
        warnings.join("\n"),
      );
      assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(await readFile(path)));
      // Accepted once, the file is the saved state: the next start is quiet.
      const again = await openStore(path, format);
      await again.store.close();
      assert.deepEqual(again.warnings, []);
    });
  });

  test(`${format}: marks a start writes (its .hashes file missing) are each block's and name a block changed later`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await saveWithStore(path, format, CHAIN);
      // A chain file copied with its .hash but not its marks, as a user (or the bench) does.
      await rm(marksFilePath(path));
      const { store, trusted } = await openStore(path, format);
      await store.close();
      assert.equal(trusted, true);
      assert.deepEqual(
        await readFile(marksFilePath(path)),
        Buffer.concat(CHAIN.map((b) => markOf(hashBlock(b)))),
      );
      await writeChainFile(path, format, relinkedWith(CHAIN, 5, "rewritten"));
      const err = await assertRefused(path, format, "MODIFIED_CHAIN");
      assert.match(err.message, /block 5 changed/);
    });
  });

  test(`${format}: a file that grew after its last .hash update (a crash between the writes) is accepted`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await saveWithStore(path, format, CHAIN.slice(0, 5));
      const codec = codecFor(format);
      await appendFile(path, Buffer.concat(CHAIN.slice(5).map((b) => codec.encodeRecord(b))));
      const { store, chain, warnings } = await openStore(path, format);
      await store.close();
      assert.deepEqual(chain, CHAIN);
      assert.ok(
        warnings.some((w) =>
          /3 block\(s\) after block 4 were written after the last .hash update/.test(w),
        ),
        warnings.join("\n"),
      );
      assert.equal(await readFile(hashFilePath(path), "utf8"), sha256(await readFile(path)));
    });
  });

  test(`${format}: a file cut back by a switch of branch keeps a .hash that covers it`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      const { store } = await openStore(path, format);
      await store.save(CHAIN, 1);
      const fork = extendChain(CHAIN.slice(0, 4), 6, { difficulty: D, messages: ["other"] });
      await store.save(fork, 4);
      await store.close();
      const again = await openStore(path, format);
      await again.store.close();
      assert.deepEqual(again.chain, fork);
      assert.deepEqual(again.warnings, []);
    });
  });

  test(`${format}: a .hash that covers no prefix of the file, without marks, stops the start`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChainFile(path, format, CHAIN);
      await writeFile(hashFilePath(path), "f".repeat(64));
      const err = await assertRefused(path, format, "MODIFIED_CHAIN");
      assert.match(err.message, /cannot be named/);
    });
  });

  test(`${format}: a file in the other format is refused with a hint`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "chain.dat");
      await writeChainFile(path, format === "json" ? "binary" : "json", CHAIN);
      const err = await assertRefused(path, format, "WRONG_FORMAT");
      assert.match(err.message, /--chain-serialization/);
    });
  });
}

test("json: a bad line in the middle is refused with its line and offset, file untouched", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    const lines = fileOf(CHAIN, "json").toString("utf8").split("\n");
    lines[3] = lines[3]?.slice(0, 20) ?? "";
    await writeFile(path, lines.join("\n"));
    const err = await assertRefused(path, "json", "BAD_RECORD");
    assert.equal(err.index, 3);
    assert.equal(err.line, 4);
    assert.match(err.message, /line 4, byte offset \d+: not valid JSON/);
  });
});

test("json: a line that is not the canonical encoding is refused", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    const lines = fileOf(CHAIN, "json").toString("utf8").split("\n");
    lines[2] = JSON.stringify(JSON.parse(lines[2] ?? ""), null, 0).replace(":", ": ");
    await writeFile(path, lines.join("\n"));
    const err = await assertRefused(path, "json", "NOT_CANONICAL");
    assert.equal(err.index, 2);
  });
});

test("json: a last line that lacks only its newline keeps its block and gets the newline", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    const whole = fileOf(CHAIN, "json");
    await writeFile(path, whole.subarray(0, whole.length - 1));
    const { store, chain, warnings } = await openStore(path, "json");
    await store.close();
    assert.deepEqual(chain, CHAIN);
    assert.ok(warnings.some((w) => /newline/.test(w)));
    assert.deepEqual(await readFile(path), whole);
  });
});

test("binary: a record with a bad CRC in the middle is refused, file untouched", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.bin");
    const bytes = fileOf(CHAIN, "binary");
    const third = fileOf(CHAIN.slice(0, 3), "binary").length;
    bytes[third + 20] = (bytes[third + 20] ?? 0) ^ 0x01;
    await writeFile(path, bytes);
    const err = await assertRefused(path, "binary", "BAD_CRC");
    assert.equal(err.index, 3);
    assert.equal(err.offset, third);
  });
});

test("binary: a damaged record length in the middle is refused, not taken for a torn tail", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.bin");
    const bytes = fileOf(CHAIN, "binary");
    const third = fileOf(CHAIN.slice(0, 3), "binary").length;
    bytes.writeUInt32LE(1_000_000, third);
    await writeFile(path, bytes);
    const err = await assertRefused(path, "binary", "BAD_RECORD");
    assert.equal(err.index, 3);
  });
});

test("binary: a bad magic or an unknown version is refused, file untouched", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.bin");
    const bytes = fileOf(CHAIN, "binary");
    bytes[0] = 0x58;
    await writeFile(path, bytes);
    await assertRefused(path, "binary", "BAD_MAGIC");
    bytes[0] = 0x42;
    bytes[6] = 9;
    await writeFile(path, bytes);
    await assertRefused(path, "binary", "UNSUPPORTED_VERSION");
  });
});

test("binary: a zero-filled tail left by a crash is cut off", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.bin");
    const whole = fileOf(CHAIN, "binary");
    await writeFile(path, whole);
    await appendFile(path, Buffer.alloc(300));
    const { store, chain, warnings } = await openStore(path, "binary");
    await store.close();
    assert.deepEqual(chain, CHAIN);
    assert.ok(
      warnings.some((w) => /zero bytes/.test(w)),
      warnings.join("\n"),
    );
    assert.equal((await stat(path)).size, whole.length);
  });
});

test("pickle is accepted as the binary format's name", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.pickle");
    const { store } = await ChainStore.open(path, {
      format: normalizeFormat("pickle"),
      difficulty: D,
    });
    await store.save(CHAIN, 1);
    await store.close();
    assert.equal(store.format, "binary");
    assert.deepEqual(await readFile(path), fileOf(CHAIN, "binary"));
  });
});

/** Files that hold no whole block: a note, a Python pickle, a mistyped path (the .hash), an empty file. */
const NOT_CHAINS: [string, Buffer][] = [
  ["an empty file", Buffer.alloc(0)],
  ["a note without a newline", Buffer.from("remember to back up the chain")],
  ["a Python pickle", Buffer.from("80049505000000000000005d942e", "hex")],
  ["a .hash file", Buffer.from("7f9a64a5bd52ca142f713283260c323ec05bcd23a31aa3022de71e95137a9c3e")],
  ["a binary header alone", codecFor("binary").header],
];

for (const [what, bytes] of NOT_CHAINS) {
  for (const format of FORMATS) {
    test(`${format}: ${what} holds no whole block: refused, never cut or replaced`, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, "chain.hash");
        await writeFile(path, bytes);
        const err = await openStore(path, format).then(
          () => assert.fail("the load should have been refused"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ChainLoadError, String(err));
        assert.ok(
          ["NO_WHOLE_BLOCK", "BAD_MAGIC", "WRONG_FORMAT"].includes(err.code),
          `${err.code}: ${err.message}`,
        );
        assert.ok(err.message.includes(path), err.message);
        assert.deepEqual(await readFile(path), bytes, "the file is untouched");
        assert.deepEqual((await readdir(dir)).sort(), ["chain.hash"], "nothing written beside it");
      });
    });
  }
}

test("a torn last record after whole ones is cut, and the cut bytes are kept beside the file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chain.json");
    const whole = fileOf(CHAIN, "json");
    const torn = Buffer.from('{"index":8,"timest');
    await writeFile(path, Buffer.concat([whole, torn]));
    const { store, chain, warnings } = await openStore(path, "json");
    await store.close();
    assert.deepEqual(chain, CHAIN);
    assert.deepEqual(await readFile(path), whole);
    const copy = (await readdir(dir)).find((name) => name.endsWith(".torn"));
    assert.ok(copy, "a copy of the cut bytes");
    assert.deepEqual(await readFile(join(dir, copy)), torn);
    assert.ok(
      warnings.some((w) => w.includes(copy)),
      warnings.join("\n"),
    );
  });
});

test("saving after close is refused", async () => {
  await withTempDir(async (dir) => {
    const { store } = await openStore(join(dir, "chain.json"), "json");
    await store.close();
    await assert.rejects(store.save(CHAIN, 1), /closed/);
  });
});

for (const format of FORMATS) {
  for (const vouched of [true, false]) {
    test(`${format}, ${vouched ? "the .hash vouching for the rest" : "no .hash"}: past the size read whole, a torn last record is found and cut in chunks, kept beside the file, and the next start is clean`, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, `chain.${format}`);
        const CHAIN_OF_40 = buildChain(40, { difficulty: D, messages: MESSAGES });
        if (vouched) await saveWithStore(path, format, CHAIN_OF_40);
        const whole = fileOf(CHAIN_OF_40, format);
        if (!vouched) await writeFile(path, whole);
        const lastStart = fileOf(CHAIN_OF_40.slice(0, -1), format).length;
        // A save cut short: the file ends inside a record appended after the last whole one.
        const torn = fileOf(
          [...CHAIN_OF_40, ...extendChain(CHAIN_OF_40, 1, { difficulty: D })],
          format,
        ).subarray(whole.length, whole.length + 30);
        await appendFile(path, torn);
        const wholeFileMax = Math.floor(whole.length / 3);
        const { store, chain, warnings, trusted } = await openStore(path, format, { wholeFileMax });
        await store.close();
        assert.equal(trusted, vouched);
        assert.deepEqual(chain, CHAIN_OF_40);
        assert.deepEqual(await readFile(path), whole, "the torn record cut, nothing else");
        const copy = (await readdir(dir)).find((name) => name.endsWith(".torn"));
        assert.ok(copy, "a copy of the cut bytes");
        assert.deepEqual(await readFile(join(dir, copy)), torn);
        assert.ok(
          warnings.some(
            (w) =>
              w.includes(`torn last record at byte offset ${whole.length}`) && w.includes(copy),
          ),
          warnings.join("\n"),
        );
        assert.ok(lastStart < whole.length);
        const again = await openStore(path, format, { wholeFileMax });
        await again.store.close();
        assert.deepEqual(again.warnings, []);
        assert.equal(again.trusted, true, "the start after the cut trusts the file");
        assert.equal(again.loaded.records.length, 40);
      });
    });
  }

  test(`${format}: past the size read whole, damage that is not a torn tail is refused and the file left as it is`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, `chain.${format}`);
      const bytes = fileOf(CHAIN, format);
      const third = fileOf(CHAIN.slice(0, 3), format).length;
      // binary: a record length that fails its check; JSON: a line cut in the middle of the file.
      if (format === "binary") bytes.writeUInt32LE(1_000_000, third);
      const damaged =
        format === "binary"
          ? bytes
          : Buffer.concat([bytes.subarray(0, third + 10), bytes.subarray(third + 40)]);
      await writeFile(path, damaged);
      const err = await openStore(path, format, { wholeFileMax: 100 }).then(
        () => assert.fail("the load should have been refused"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ChainLoadError, String(err));
      assert.ok(err.message.includes(path), err.message);
      assert.deepEqual(await readFile(path), damaged);
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.endsWith(".torn")),
        [],
      );
    });
  });
}
