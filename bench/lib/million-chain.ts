import { createHash } from "node:crypto";
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Block } from "../../src/core/block.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { hashFilePath, writeHashFile } from "../../src/storage/file/hash-file.js";
import { longChainRecords } from "./large-chain-file.js";

/*
 * Long chains for the start-up and sync benches, written straight to disk
 * (no node, no mining beyond difficulty 1) and cached under the OS temp folder,
 * keyed by the code that encodes them: a later run copies the cached file in
 * a second instead of writing it again.
 */

export const MILLION = 1_000_000;
const CACHE = join(tmpdir(), "blockchain-bench-cache");
/** The compiled files whose output the cached chains depend on. */
const ENCODERS = [
  "../../src/core/encoding.js",
  "../../src/storage/codecs/binary-codec.js",
  "../../src/storage/codecs/json-lines-codec.js",
  "../../src/storage/codecs/chain-format.js",
  "./large-chain-file.js",
];
/** Blocks encoded between two writes. */
const BATCH = 10_000;

async function fingerprint(length: number): Promise<string> {
  const hash = createHash("sha256").update(`v1 ${length}\n`);
  for (const file of ENCODERS) {
    hash.update(await readFile(fileURLToPath(new URL(file, import.meta.url))));
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The blocks of a valid difficulty-1 chain, one at a time; with
 * `messageBytes`, each message is padded to that many bytes (a large file
 * from fewer blocks).
 */
export function* longChainBlocks(length: number, messageBytes = 0): Generator<Block> {
  for (const { block } of longChainRecords(length, messageBytes)) yield block;
}

/** Writes the chain in both formats at once, each with its .hash file. */
async function writeBoth(length: number, paths: { json: string; binary: string }): Promise<void> {
  const outputs = await Promise.all(
    (["json", "binary"] as const).map(async (format) => {
      const codec = codecFor(format);
      const temp = `${paths[format]}.tmp`;
      const handle = await open(temp, "w");
      const hash = createHash("sha256");
      await handle.write(codec.header);
      hash.update(codec.header);
      return { format, codec, temp, handle, hash, pending: [] as Buffer[] };
    }),
  );
  const flush = async () => {
    for (const out of outputs) {
      const bytes = Buffer.concat(out.pending);
      out.pending = [];
      out.hash.update(bytes);
      await out.handle.write(bytes);
    }
  };
  let n = 0;
  for (const block of longChainBlocks(length)) {
    for (const out of outputs) out.pending.push(out.codec.encodeRecord(block));
    if (++n % BATCH === 0) await flush();
  }
  await flush();
  for (const out of outputs) {
    await out.handle.close();
    await rename(out.temp, paths[out.format]);
    await writeHashFile(hashFilePath(paths[out.format]), out.hash.digest("hex"));
  }
}

/**
 * Copies a `length`-block chain file of `format` (and its .hash) to `dest`,
 * writing the cached one first if needed.
 */
export async function copyLongChain(
  format: "json" | "binary",
  dest: string,
  length = MILLION,
): Promise<void> {
  await mkdir(CACHE, { recursive: true });
  const key = await fingerprint(length);
  const paths = {
    // Names that differ before the extension: each file has its own .hash beside it.
    json: join(CACHE, `chain-${length}-${key}-json.json`),
    binary: join(CACHE, `chain-${length}-${key}-binary.bin`),
  };
  const cached = await stat(paths[format]).then(
    () => true,
    () => false,
  );
  if (!cached) {
    // Chains written by older code are of no more use.
    for (const name of await readdir(CACHE)) {
      if (name.startsWith(`chain-${length}-`) && !name.includes(key)) {
        await rm(join(CACHE, name), { force: true });
      }
    }
    const began = performance.now();
    await writeBoth(length, paths);
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    console.log(`wrote ${length}-block chains (json, binary) to ${CACHE} in ${seconds} s`);
  }
  await mkdir(dirname(dest), { recursive: true });
  await copyFile(paths[format], dest);
  await copyFile(hashFilePath(paths[format]), hashFilePath(dest));
}

/**
 * Writes a `length`-block chain file of `format` at `path`, with its .hash
 * (as a node leaves it), each message `messageBytes` long (0: short ones):
 * files of any size, larger than memory's usual bounds, in one pass. Gives
 * the file's size in bytes.
 */
export async function writeLongChain(
  path: string,
  format: "json" | "binary",
  length: number,
  messageBytes = 0,
): Promise<number> {
  const codec = codecFor(format);
  const handle = await open(path, "w");
  const hash = createHash("sha256");
  let size = 0;
  try {
    const write = async (bytes: Buffer) => {
      hash.update(bytes);
      size += bytes.length;
      await handle.write(bytes);
    };
    await write(Buffer.from(codec.header));
    let pending: Buffer[] = [];
    for (const block of longChainBlocks(length, messageBytes)) {
      pending.push(codec.encodeRecord(block));
      if (pending.length === BATCH) {
        await write(Buffer.concat(pending));
        pending = [];
      }
    }
    await write(Buffer.concat(pending));
  } finally {
    await handle.close();
  }
  await writeHashFile(hashFilePath(path), hash.digest("hex"));
  return size;
}
