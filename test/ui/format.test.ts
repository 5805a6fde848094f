import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatCount,
  formatDuration,
  formatHashrate,
  isoTime,
  plural,
  relativeTime,
  shortHash,
} from "../../src/ui/lib/format.js";

const GENESIS_HASH = "7f9a64a5bd52ca142f713283260c323ec05bcd23a31aa3022de71e95137a9c3e";

test("a hash is shortened to its first and last 8 characters", () => {
  assert.equal(shortHash(GENESIS_HASH), "7f9a64a5…137a9c3e");
  assert.equal(shortHash(null), "none");
  assert.equal(shortHash("abcdef"), "abcdef");
});

test("times are shown in UTC without milliseconds", () => {
  assert.equal(isoTime(0), "1970-01-01T00:00:00Z");
  assert.equal(isoTime(1_700_000_000_123), "2023-11-14T22:13:20Z");
});

test("relative times read naturally at every scale", () => {
  const now = 1_700_000_000_000;
  assert.equal(relativeTime(now, now), "just now");
  assert.equal(relativeTime(now - 42_000, now), "42 s ago");
  assert.equal(relativeTime(now - 3 * 60_000 - 5_000, now), "3 min ago");
  assert.equal(relativeTime(now - 5 * 3_600_000, now), "5 h ago");
  assert.equal(relativeTime(now - 2 * 86_400_000, now), "2 d ago");
  assert.equal(relativeTime(now - 800 * 86_400_000, now), "2 y ago");
  assert.equal(relativeTime(now + 30_000, now), "in 30 s");
});

test("durations are compact", () => {
  assert.equal(formatDuration(850), "850 ms");
  assert.equal(formatDuration(4_200), "4.2 s");
  assert.equal(formatDuration(42_000), "42 s");
  assert.equal(formatDuration(185_000), "3 min 5 s");
  assert.equal(formatDuration(120_000), "2 min");
  assert.equal(formatDuration(2 * 3_600_000 + 10 * 60_000), "2 h 10 min");
  assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), "3 d 4 h");
});

test("hash rates take an SI prefix", () => {
  assert.equal(formatHashrate(0), "0 H/s");
  assert.equal(formatHashrate(Number.NaN), "0 H/s");
  assert.equal(formatHashrate(950.4), "950 H/s");
  assert.equal(formatHashrate(1_250), "1.25 kH/s");
  assert.equal(formatHashrate(3_400_000), "3.40 MH/s");
  assert.equal(formatHashrate(123_456_789), "123 MH/s");
});

test("counts are grouped by thousands whatever the locale", () => {
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(999), "999");
  assert.equal(formatCount(100_000), "100,000");
  assert.equal(formatCount(1_234_567), "1,234,567");
  assert.equal(plural(1, "block"), "1 block");
  assert.equal(plural(2500, "block"), "2,500 blocks");
});
