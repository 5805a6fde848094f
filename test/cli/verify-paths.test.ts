import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import type { Block } from "../../src/core/block.js";
import { hashBlock } from "../../src/core/hash.js";
import { nativeRecordCheck } from "../../src/storage/check/native-record-check.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { buildChain } from "../helpers/chain-factory.js";
import { runCli } from "../helpers/run-cli.js";
import { withTempDir } from "../helpers/temp-dir.js";

/*
 * `blockchain verify` checks a file on the native record check where the
 * addon is built and on the TypeScript one with BLOCKCHAIN_NATIVE=0: the same
 * verdict, reason, difficulty and tip, for sound files and damaged ones.
 */

const D = 1;
const LENGTH = 40;
const CHAINS = {
  original: buildChain(LENGTH, { difficulty: D, messages: ["one", 'zwei "ü"\n', "三\u0001"] }),
  content: buildChain(LENGTH, { difficulty: D, messages: ["x", "y"], rule: "content" }),
};
const skip = nativeRecordCheck("1") === null ? "the native addon is not built" : false;

type Format = "json" | "binary";

function fileOf(format: Format, chain: readonly Block[]): Buffer {
  const codec = codecFor(format);
  return Buffer.concat([codec.header, ...chain.map((b) => codec.encodeRecord(b))]);
}

/** Where record `i` starts in the file of `chain`. */
function startOf(format: Format, chain: readonly Block[], i: number): number {
  return fileOf(format, chain.slice(0, i)).length;
}

/** Damaged and sound files, each as (format) -> bytes. */
const CASES: Record<string, (format: Format) => Buffer> = {
  sound: (f) => fileOf(f, CHAINS.original),
  "content rule file checked under the original rule": (f) => fileOf(f, CHAINS.content),
  "a flipped byte in the middle": (f) => {
    const bytes = fileOf(f, CHAINS.original);
    const at = startOf(f, CHAINS.original, 20) + 30;
    bytes[at] = (bytes[at] as number) ^ 0x04;
    return bytes;
  },
  "a broken link": (f) =>
    fileOf(
      f,
      CHAINS.original.map((b) => (b.index === 17 ? { ...b, previous_hash: "ab".repeat(32) } : b)),
    ),
  "a repeated id": (f) =>
    fileOf(
      f,
      CHAINS.original.map((b) =>
        b.index === 30
          ? { ...b, data: { ...b.data, id: (CHAINS.original[12] as Block).data.id } }
          : b,
      ),
    ),
  "a torn last record": (f) => {
    const bytes = fileOf(f, CHAINS.original);
    return bytes.subarray(0, bytes.length - 7);
  },
  "records swapped": (f) => {
    const list = CHAINS.original.slice();
    [list[8], list[9]] = [list[9] as Block, list[8] as Block];
    return fileOf(f, list);
  },
  "not canonical, then a broken rule": (f) => {
    const list = CHAINS.original.map((b) =>
      b.index === 25 ? { ...b, timestamp: (CHAINS.original[24] as Block).timestamp } : b,
    );
    const bytes = fileOf(f, list);
    return f === "json" ? respell(bytes, 5) : longVarint(bytes, startOf(f, list, 5));
  },
  "not canonical only": (f) => {
    const bytes = fileOf(f, CHAINS.original);
    return f === "json" ? respell(bytes, 7) : longVarint(bytes, startOf(f, CHAINS.original, 7));
  },
};

/** The JSON Lines file with line `i` spelt with a space after its first colon. */
function respell(bytes: Buffer, i: number): Buffer {
  const lines = bytes.toString("utf8").split("\n");
  lines[i] = (lines[i] as string).replace(":", ": ");
  return Buffer.from(lines.join("\n"));
}

/** The binary file with the record at `start` rewritten with its index as a longer varint (CRC kept right). */
function longVarint(bytes: Buffer, start: number): Buffer {
  const length = bytes.readUInt32LE(start);
  const payload = bytes.subarray(start + 8, start + 8 + length);
  let indexEnd = 1;
  while ((payload[indexEnd] as number) & 0x80) indexEnd++;
  const last = payload[indexEnd] as number;
  const longer = Buffer.concat([
    payload.subarray(0, indexEnd),
    Buffer.from([last | 0x80, 0x00]),
    payload.subarray(indexEnd + 1),
  ]);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(longer.length, 0);
  head.writeUInt32LE(~longer.length >>> 0, 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(Buffer.concat([head, longer])), 0);
  return Buffer.concat([
    bytes.subarray(0, start),
    head,
    longer,
    crc,
    bytes.subarray(start + 12 + length),
  ]);
}

async function verifyBoth(path: string, extra: string[]) {
  const args = ["verify", path, "--json", ...extra];
  const [native, js] = await Promise.all([
    runCli(args, { env: { ...process.env, BLOCKCHAIN_NATIVE: "1" } }),
    runCli(args, { env: { ...process.env, BLOCKCHAIN_NATIVE: "0" } }),
  ]);
  assert.equal(native.code, js.code, `${native.stderr}\n${js.stderr}`);
  assert.equal(native.stdout, js.stdout);
  assert.equal(native.stderr, js.stderr);
  return JSON.parse(native.stdout) as Record<string, unknown>;
}

describe("verify: the native and the TypeScript record checks give the same verdicts", {
  skip,
}, () => {
  for (const format of ["json", "binary"] as const) {
    it(`${format}: sound and damaged files, with and without --difficulty`, async () => {
      await withTempDir(async (dir) => {
        const verdicts: Record<string, Record<string, unknown>> = {};
        for (const [name, make] of Object.entries(CASES)) {
          const path = join(dir, `${name.replaceAll(" ", "-")}.${format}`);
          await writeFile(path, make(format));
          verdicts[name] = await verifyBoth(path, []);
          await verifyBoth(path, ["--difficulty", "1"]);
        }
        const tip = hashBlock(CHAINS.original[LENGTH - 1] as Block);
        assert.equal(verdicts.sound?.valid, true);
        assert.equal(verdicts.sound?.tip, tip);
        assert.equal(verdicts.sound?.blocks, LENGTH);
        assert.match(
          String(verdicts["content rule file checked under the original rule"]?.reason),
          /try --proof-rule content/,
        );
        assert.equal(verdicts["a broken link"]?.index, 17);
        assert.equal(verdicts["a repeated id"]?.index, 30);
        assert.equal(verdicts["a torn last record"]?.valid, true);
        assert.equal(verdicts["records swapped"]?.index, 8);
        assert.equal(verdicts["not canonical, then a broken rule"]?.index, 25);
        assert.match(String(verdicts["not canonical, then a broken rule"]?.reason), /timestamp/);
        assert.equal(verdicts["not canonical only"]?.index, 7);
        assert.match(
          String(verdicts["not canonical only"]?.reason),
          /not the (canonical|exact binary) encoding/,
        );
      });
    });
  }
});
