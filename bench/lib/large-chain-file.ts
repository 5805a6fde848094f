import { createHash } from "node:crypto";
import { type FileHandle, open, statfs } from "node:fs/promises";
import type { Block } from "../../src/core/block.js";
import { encodeBlock } from "../../src/core/encoding.js";
import { genesisBlock } from "../../src/core/genesis.js";
import { proofOfWork } from "../../src/core/pow.js";
import { codecFor } from "../../src/storage/codecs/chain-format.js";
import { MARK_BYTES, marksFilePath } from "../../src/storage/file/block-marks.js";
import { hashFilePath, writeHashFile } from "../../src/storage/file/hash-file.js";

/*
 * Chain files of any length, written quickly: each block encoded and hashed
 * once, its JSON line and binary record written in one pass, with the .hash
 * and the marks file (`.hashes`) a node leaves beside its chain file. A
 * 10,000,000-block chain: 2.2 GB of JSON Lines, 0.93 GB binary.
 */

/** Bytes gathered before a write. */
const WRITE_BYTES = 8 * 1024 * 1024;

/** One output file with its running digest, written from a buffer of its own (few objects: little GC). */
class Output {
  private readonly buffer = Buffer.allocUnsafe(WRITE_BYTES + 64 * 1024);
  private used = 0;
  readonly digest = createHash("sha256");
  size = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<Output> {
    return new Output(path, await open(path, "w"));
  }

  /** Adds bytes; a write is due (to be awaited) once enough are gathered, else nothing. */
  add(bytes: Uint8Array): Promise<void> | undefined {
    if (this.used + bytes.length > this.buffer.length)
      return this.flush().then(() => this.add(bytes) ?? undefined);
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
    return this.used >= WRITE_BYTES ? this.flush() : undefined;
  }

  /** As add, a JSON line: `text` and a newline. */
  addLine(text: string): Promise<void> | undefined {
    if (this.used + text.length * 3 + 1 > this.buffer.length)
      return this.flush().then(() => this.addLine(text) ?? undefined);
    this.used += this.buffer.write(text, this.used, "utf8");
    this.buffer[this.used++] = 0x0a;
    return this.used >= WRITE_BYTES ? this.flush() : undefined;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    const bytes = this.buffer.subarray(0, this.used);
    this.digest.update(bytes);
    for (let done = 0; done < bytes.length; ) {
      done += (await this.handle.write(bytes, done, bytes.length - done)).bytesWritten;
    }
    this.size += bytes.length;
    this.used = 0;
  }
}

/**
 * Writes a valid difficulty-1 chain of `length` blocks (genesis included) to
 * the paths given, in JSON Lines and/or binary, each with its .hash and marks
 * file; `messageBytes` pads every message to that many bytes (a large file
 * from fewer blocks). Gives each file's size in bytes.
 */
export async function writeChainFiles(
  length: number,
  paths: { json?: string; binary?: string },
  messageBytes = 0,
): Promise<{ json?: number; binary?: number }> {
  const formats = (["json", "binary"] as const).filter((format) => paths[format] !== undefined);
  const outputs = await Promise.all(formats.map((f) => Output.create(paths[f] as string)));
  const marks = await Promise.all(
    formats.map((f) => Output.create(marksFilePath(paths[f] as string))),
  );
  const binary = codecFor("binary");
  try {
    for (const [k, format] of formats.entries()) {
      await (outputs[k] as Output).add(codecFor(format).header);
    }
    for (const { block, text, hash } of longChainRecords(length, messageBytes)) {
      for (const [k, format] of formats.entries()) {
        const out = outputs[k] as Output;
        // Awaited only when a write is due: an await per record would cost more than the record.
        const writing = format === "json" ? out.addLine(text) : out.add(binary.encodeRecord(block));
        if (writing) await writing;
        const marking = (marks[k] as Output).add(hash.subarray(0, MARK_BYTES));
        if (marking) await marking;
      }
    }
  } finally {
    await Promise.all([...outputs, ...marks].map((out) => out.close()));
  }
  const sizes: { json?: number; binary?: number } = {};
  for (const [k, format] of formats.entries()) {
    const out = outputs[k] as Output;
    await writeHashFile(hashFilePath(out.path), out.digest.digest("hex"));
    sizes[format] = out.size;
  }
  return sizes;
}

/**
 * The blocks of a valid difficulty-1 chain of `length` blocks (genesis
 * included), one at a time, each with its canonical encoding and hash (made
 * once: the next block's previous_hash, and what a writer needs); the proofs
 * repeat, so they are memoised. With `messageBytes`, each message is padded
 * to that many bytes (a large file from fewer blocks).
 */
export function* longChainRecords(
  length: number,
  messageBytes = 0,
): Generator<{ block: Block; text: string; hash: Buffer }> {
  const padding = "x".repeat(messageBytes);
  const proofs = new Map<number | null, number>();
  let parent = genesisBlock();
  let parentHash = "";
  for (let index = 0; index < length; index++) {
    let block = parent;
    if (index > 0) {
      let proof = proofs.get(parent.proof);
      if (proof === undefined) {
        proof = proofOfWork(parent.proof, 1);
        proofs.set(parent.proof, proof);
      }
      block = {
        index,
        timestamp: 1_600_000_000_000 + index * 1000,
        data: {
          id: index.toString(16).padStart(32, "0"),
          message:
            messageBytes > 0
              ? `${index} ${padding}`.slice(0, messageBytes)
              : `bench message ${index}`,
        },
        previous_hash: parentHash,
        proof,
      };
    }
    const text = encodeBlock(block);
    const hash = createHash("sha256").update(text).digest();
    yield { block, text, hash };
    parent = block;
    parentHash = hash.toString("hex");
  }
}

/** Free bytes on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
}
