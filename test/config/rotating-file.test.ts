import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createNodeLogger } from "../../src/config/logger.js";
import { RotatingFile } from "../../src/config/rotating-file.js";

test("miner.log is rotated by size: the live file stays miner.log, older ones shift to .1, .2", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-log-"));
  try {
    const path = join(dir, "miner.log");
    const file = await RotatingFile.open(path, 1000, { keep: 2 });
    const line = `${"x".repeat(99)}\n`;
    for (let i = 0; i < 35; i++) {
      file.write(line);
      await file.flushed();
    }
    await file.close();
    assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`));
    assert.ok(!existsSync(`${path}.3`), "only `keep` old files are kept");
    assert.ok(statSync(`${path}.1`).size >= 1000);
    assert.equal(
      readFileSync(path, "utf8").length,
      5 * 100,
      "the live file holds what came after the last rotation",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the node logger writes JSON lines to miner.log at the chosen level", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bc-log-"));
  try {
    const { logger, close } = await createNodeLogger({
      logDir: dir,
      level: "warn",
      console: false,
    });
    logger.info("not written");
    logger.warn({ index: 3 }, "written");
    await close();
    const lines = readFileSync(join(dir, "miner.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].msg, "written");
    assert.equal(lines[0].index, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
