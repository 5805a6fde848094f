import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { type Data, newDataId } from "../../src/core/data.js";
import { PendingJournal, PendingJournalError } from "../../src/pool/pending-journal.js";

let dir = "";
let fileCounter = 0;

/** A fresh journal path in this run's temp directory. */
function freshPath(): string {
  fileCounter++;
  return join(dir, `pending-${fileCounter}.journal`);
}

function message(text: string): Data {
  return { id: newDataId(), message: text };
}

/** Opens the journal at `path`, runs `body`, and always closes it. */
async function withJournal<T>(
  path: string,
  body: (journal: PendingJournal, pending: Data[]) => Promise<T>,
): Promise<T> {
  const { journal, pending } = await PendingJournal.open(path);
  try {
    return await body(journal, pending);
  } finally {
    await journal.close();
  }
}

/** What a reopened journal replays. */
async function reopen(path: string): Promise<Data[]> {
  return withJournal(path, async (_journal, pending) => pending);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "pending-journal-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("PendingJournal", () => {
  it("creates an empty journal", async () => {
    const path = freshPath();
    assert.deepEqual(await reopen(path), []);
    assert.equal((await stat(path)).size, 0);
  });

  it("replays added messages in order after a reopen", async () => {
    const path = freshPath();
    const added = [message("first"), message('second, with ünïcödé and "quotes"\n'), message("3")];
    await withJournal(path, async (journal) => {
      for (const data of added) await journal.add(data);
    });
    assert.deepEqual(await reopen(path), added);
  });

  it("drops removed messages after a reopen", async () => {
    const path = freshPath();
    const [a, b, c] = [message("a"), message("b"), message("c")];
    await withJournal(path, async (journal) => {
      await journal.add(a);
      await journal.add(b);
      await journal.add(c);
      await journal.remove([a.id, c.id]);
    });
    assert.deepEqual(await reopen(path), [b]);
  });

  it("brings back a message added again after its removal, once", async () => {
    const path = freshPath();
    const a = message("returned by a reorg");
    await withJournal(path, async (journal) => {
      await journal.add(a);
      await journal.add(a);
      await journal.remove([a.id]);
      await journal.add(a);
      await journal.add(a);
    });
    assert.deepEqual(await reopen(path), [a]);
  });

  it("serves concurrent adds with fewer fsyncs than adds, and keeps them all", async () => {
    const path = freshPath();
    const added = Array.from({ length: 200 }, (_, i) => message(`concurrent ${i}`));
    await withJournal(path, async (journal) => {
      const before = journal.fsyncCount;
      await Promise.all(added.map((data) => journal.add(data)));
      const syncs = journal.fsyncCount - before;
      assert.ok(syncs >= 1, "an add must be synced");
      assert.ok(syncs < added.length, `${syncs} fsyncs for ${added.length} adds`);
    });
    assert.deepEqual(await reopen(path), added);
  });

  it("compacts to exactly the current set, and keeps appending after", async () => {
    const path = freshPath();
    const all = Array.from({ length: 20 }, (_, i) => message(`m${i}`));
    const current = all.filter((_, i) => i % 3 === 0);
    const later = message("after the compaction");
    await withJournal(path, async (journal) => {
      for (const data of all) await journal.add(data);
      await journal.remove([all[1]?.id ?? ""]);
      const sizeBefore = (await stat(path)).size;
      await journal.compact(current);
      assert.ok((await stat(path)).size < sizeBefore);
      await journal.add(later);
    });
    assert.deepEqual(await reopen(path), [...current, later]);
  });

  it("keeps an add that is still running when a compaction is asked", async () => {
    const path = freshPath();
    const kept = message("pending");
    const racing = message("not yet acknowledged");
    await withJournal(path, async (journal) => {
      await journal.add(kept);
      const adding = journal.add(racing);
      // The caller cannot list `racing` yet: its add has not resolved.
      const compacting = journal.compact([kept]);
      await Promise.all([adding, compacting]);
    });
    assert.deepEqual(await reopen(path), [kept, racing]);
  });

  it("refuses writes once closed, with a typed error", async () => {
    const path = freshPath();
    const { journal } = await PendingJournal.open(path);
    await journal.close();
    await assert.rejects(journal.add(message("late")), (err: unknown) => {
      assert.ok(err instanceof PendingJournalError);
      assert.equal(err.code, "JOURNAL_CLOSED");
      return true;
    });
  });

  it("stops with JOURNAL_CORRUPT on a bad record before the end, and leaves the file as it is", async () => {
    const path = freshPath();
    const [a, b] = [message("a"), message("b")];
    await withJournal(path, async (journal) => {
      await journal.add(a);
      await journal.add(b);
    });
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[0] = `${lines[0]?.slice(0, 10)}#garbage#`;
    const corrupt = lines.join("\n");
    await writeFile(path, corrupt);
    await assert.rejects(PendingJournal.open(path), (err: unknown) => {
      assert.ok(err instanceof PendingJournalError);
      assert.equal(err.code, "JOURNAL_CORRUPT");
      assert.match(err.message, /line 1/);
      return true;
    });
    assert.equal(await readFile(path, "utf8"), corrupt);
  });

  it("refuses a record with a flipped bit (its checksum fails), naming the line, file untouched", async () => {
    const path = freshPath();
    await withJournal(path, async (journal) => {
      for (const text of ["first", "second message", "third"]) await journal.add(message(text));
    });
    const bytes = await readFile(path);
    const second = bytes.indexOf("second message");
    for (const bit of [0, 3, 6]) {
      const flipped = Buffer.from(bytes);
      flipped[second + 2] = (flipped[second + 2] as number) ^ (1 << bit);
      await writeFile(path, flipped);
      await assert.rejects(PendingJournal.open(path), (err: unknown) => {
        assert.ok(err instanceof PendingJournalError);
        assert.equal(err.code, "JOURNAL_CORRUPT");
        assert.match(err.message, /line 2: the record fails its checksum/);
        return true;
      });
      assert.deepEqual(await readFile(path), flipped);
    }
  });

  it("loads a journal written before the checksum, and appends checked records after it", async () => {
    const path = freshPath();
    const [old, kept, added] = [message("old"), message("kept"), message("new")];
    const legacy = [
      JSON.stringify({ op: "add", id: old.id, message: old.message }),
      JSON.stringify({ op: "add", id: kept.id, message: kept.message }),
      JSON.stringify({ op: "del", ids: [old.id] }),
    ];
    await writeFile(path, `${legacy.join("\n")}\n`);
    await withJournal(path, async (journal, pending) => {
      assert.deepEqual(pending, [kept]);
      await journal.add(added);
    });
    assert.deepEqual(await reopen(path), [kept, added]);
    const last = (await readFile(path, "utf8")).trimEnd().split("\n").pop() as string;
    assert.match(last, /^[0-9a-f]{8} \{"op":"add"/);
  });

  it("reopens a journal cut at any byte, losing at most the torn record", async () => {
    // Each add and each remove writes one record, so the records complete in
    // a prefix are exactly the first k operations.
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("add" as const),
        text: fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
      }),
      fc.record({ kind: fc.constant("del" as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (ops, where) => {
          const path = freshPath();
          const applied: Array<{ add: Data } | { del: string[] }> = [];
          await withJournal(path, async (journal) => {
            for (const o of ops) {
              if (o.kind === "add") {
                const data = message(o.text);
                await journal.add(data);
                applied.push({ add: data });
              } else {
                const adds = applied.flatMap((a) => ("add" in a ? [a.add.id] : []));
                const ids = adds.length > 0 ? [adds[o.pick % adds.length] as string] : [];
                if (ids.length === 0) continue;
                await journal.remove(ids);
                applied.push({ del: ids });
              }
            }
          });
          const full = await readFile(path);
          const cut = Math.floor(where * full.length);
          await writeFile(path, full.subarray(0, cut));
          const complete = full.subarray(0, cut).toString("latin1").split("\n").length - 1;
          const expected = new Map<string, Data>();
          for (const a of applied.slice(0, complete)) {
            if ("add" in a) expected.set(a.add.id, a.add);
            else for (const id of a.del) expected.delete(id);
          }
          const extra = message("appended after the cut");
          await withJournal(path, async (journal, pending) => {
            assert.deepEqual(pending, [...expected.values()]);
            await journal.add(extra);
          });
          // The torn bytes were cut off, so the new record follows a clean line.
          assert.deepEqual(await reopen(path), [...expected.values(), extra]);
          await rm(path);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("keeps every acknowledged add of a process killed with SIGKILL, exactly once", async () => {
    const path = freshPath();
    const moduleUrl = new URL("../../src/pool/pending-journal.js", import.meta.url).href;
    // Several adds stay in flight, so the kill lands in the middle of group commits.
    const child = `
      const { PendingJournal } = await import(process.argv[1]);
      const { randomUUID } = await import("node:crypto");
      const { journal } = await PendingJournal.open(process.argv[2]);
      let n = 0;
      const lane = async () => {
        for (;;) {
          const id = randomUUID().replaceAll("-", "");
          await journal.add({ id, message: "message " + n++ });
          process.stdout.write(id + "\\n");
        }
      };
      for (let i = 0; i < 8; i++) lane();
    `;
    const proc = spawn(process.execPath, ["--input-type=module", "-e", child, moduleUrl, path], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      proc.on("close", (_code, signal) => resolve(signal)),
    );
    let output = "";
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (chunk: string) => {
      output += chunk;
      if (output.split("\n").length > 300) proc.kill("SIGKILL");
    });
    assert.equal(await exited, "SIGKILL");
    // A line cut by the kill was not fully printed: only complete lines were acknowledged.
    const acked = output.split("\n").slice(0, -1);
    assert.ok(acked.length >= 300);
    const replayed = (await reopen(path)).map((d) => d.id);
    assert.equal(new Set(replayed).size, replayed.length, "a message was replayed twice");
    const present = new Set(replayed);
    for (const id of acked) assert.ok(present.has(id), `acknowledged ${id} was lost`);
  });
});
