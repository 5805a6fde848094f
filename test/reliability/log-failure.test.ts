import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RotatingFile } from "../../src/config/rotating-file.js";
import { addMessage, getJson, NodeProcess } from "../helpers/node-process.js";
import { waitFor } from "../helpers/wait-for.js";

// /dev/full accepts opens and refuses every write with ENOSPC: a log file on a full disk.
const FULL = "/dev/full";

test("a log file that cannot be written is reported once, pauses, and resumes when it can be written again", async (t) => {
  if (!existsSync(FULL)) return t.skip("no /dev/full on this system");
  const dir = await mkdtemp(join(tmpdir(), "bc-logfail-"));
  try {
    const path = join(dir, "miner.log");
    await symlink(FULL, path);
    const problems: string[] = [];
    const file = await RotatingFile.open(path, 1_000_000, {
      retryMs: 50,
      onProblem: (m) => problems.push(m),
    });
    for (let i = 0; i < 20; i++) {
      file.write(`line ${i}\n`);
      await file.flushed();
    }
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0] as string,
      /cannot write the log file .*miner\.log \(ENOSPC\); file logging is paused/,
    );
    assert.ok(file.droppedLines >= 1);

    // Space again: the path now names a real file.
    await unlink(path);
    await writeFile(path, "");
    await waitFor(
      async () => {
        file.write("after\n");
        await file.flushed();
        return (await readFile(path, "utf8")).includes("after\n");
      },
      { what: "file logging to resume" },
    );
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[1] as string, /is written again; \d+ line\(s\) were not written/);
    await file.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a node whose miner.log cannot be written keeps serving and stops on SIGTERM with exit 0", async (t) => {
  if (!existsSync(FULL)) return t.skip("no /dev/full on this system");
  const dir = await mkdtemp(join(tmpdir(), "bc-logfail-"));
  await symlink(FULL, join(dir, "miner.log"));
  const node = await NodeProcess.start({
    chainPath: join(dir, "chain.json"),
    args: ["--workers", "1", "--difficulty", "2", "--log-level", "info"],
  });
  try {
    const id = await addMessage(node.url, "logged nowhere");
    await waitFor(
      async () =>
        (await getJson<{ status: string }>(`${node.url}/data/${id}`)).status === "confirmed",
      { what: "the message to be mined" },
    );
    await waitFor(() => /cannot write the log file/.test(node.output()), {
      what: "the console to report the log file",
    });
    const reports = node.output().match(/cannot write the log file/g) ?? [];
    assert.equal(reports.length, 1, node.output());
    assert.equal(await node.stop(10_000), 0, node.output());
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
