import { parentPort, workerData } from "node:worker_threads";
import type { Block } from "../core/block.js";
import { encodeBlock } from "../core/encoding.js";
import { sha256Bytes } from "../core/hash.js";
import { proofRuleNamed } from "../core/proof-rules.js";
import { blockShapeProblem } from "../core/validate.js";
import { checkRecordsFrom } from "./check/chain-check.js";
import { codecFor } from "./codecs/chain-format.js";
import type { CheckJob, CheckJobResult } from "./parallel-check.js";

/*
 * A worker thread of the parallel full check (parallel-check.ts): checks one
 * slice of a chain file's records, held in shared memory, after the record
 * just before the slice (decoded here; if it is no valid block, an earlier
 * slice fails there and this one's verdict is not used).
 */

const job = workerData as CheckJob;
const bytes = Buffer.from(job.buffer, job.byteOffset, job.byteLength);
const codec = codecFor(job.format);
const previous = codec.decodeRecord(bytes.subarray(job.previousStart, job.from));

let result: CheckJobResult;
if (typeof previous === "string" || blockShapeProblem(previous, Number.MAX_SAFE_INTEGER) !== null) {
  result = { usable: false };
} else {
  const block = previous as Block;
  const parent = {
    index: block.index,
    timestamp: block.timestamp,
    proof: block.proof,
    hash: sha256Bytes(encodeBlock(block)),
  };
  const { rule, ...opts } = job.opts;
  const checked = checkRecordsFrom(codec, bytes, job.from, job.to, parent, Buffer.alloc(0), {
    ...opts,
    rule: proofRuleNamed(rule),
  });
  result = { usable: true, checked };
}
const owned = (view: ArrayBufferView) =>
  view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? [view.buffer] : [];
const transfer = result.usable
  ? [...owned(result.checked.starts), ...owned(result.checked.hashes), ...owned(result.checked.ids)]
  : [];
parentPort?.postMessage(result, transfer as ArrayBuffer[]);
