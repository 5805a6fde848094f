import assert from "node:assert/strict";
import { test } from "node:test";
import { progressLine } from "../../src/cli/progress-line.js";

test("a progress line is written at most once a second, with what is done and the time left", () => {
  let clock = 0;
  const lines: string[] = [];
  const report = progressLine("importing: blocks mined", (line) => lines.push(line), {
    now: () => clock,
  });
  for (let done = 1; done <= 100; done++) {
    clock += 250; // four steps a second
    report(done, 100);
  }
  assert.equal(lines.length, 24, "one line per second of work, none at the end");
  assert.equal(lines[0], "importing: blocks mined: 4 of 100 (4%), about 24 s left\n");
});

test("work that ends within the first second writes no progress line", () => {
  let clock = 0;
  const lines: string[] = [];
  const report = progressLine("x", (line) => lines.push(line), { now: () => clock });
  for (let done = 1; done <= 9; done++) {
    clock += 100;
    report(done, 9);
  }
  assert.deepEqual(lines, []);
});
