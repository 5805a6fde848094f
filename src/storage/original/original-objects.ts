import type { OriginalBlock } from "../../core/original-chain.js";
import { isPyObject } from "./jsonpickle.js";

// The original's classes, as its files and answers name them (older versions lived under `src.`).
const BLOCK_CLASS = /(^|\.)block\.Block$/;
const DATA_CLASS = /(^|\.)data\.Data$/;

/** A value that does not have the shape of the original's Block or Data. */
export class OriginalShapeError extends Error {
  readonly code = "BAD_ORIGINAL_OBJECT";
  constructor(message: string) {
    super(message);
    this.name = "OriginalShapeError";
  }
}

/** Whether a Python class is the original's Block or Data. */
export function isOriginalClass(pyClass: string): boolean {
  return BLOCK_CLASS.test(pyClass) || DATA_CLASS.test(pyClass);
}

/** The original's Data object as this node's Data; throws OriginalShapeError. */
export function originalDataFrom(value: unknown): { id: string; message: string } {
  if (!isPyObject(value) || !DATA_CLASS.test(value.pyClass)) {
    throw new OriginalShapeError("not an object of the original's Data class");
  }
  const { _id, _message } = value.state;
  if (typeof _id !== "string") throw new OriginalShapeError("_id is not a string");
  if (typeof _message !== "string") throw new OriginalShapeError("_message is not a string");
  return { id: _id, message: _message };
}

/** The original's Block object, fields checked for type; throws OriginalShapeError. */
export function originalBlockFrom(value: unknown): OriginalBlock {
  const fail = (reason: string) => new OriginalShapeError(reason);
  if (!isPyObject(value) || !BLOCK_CLASS.test(value.pyClass)) {
    throw fail("not an object of the original's Block class");
  }
  const { _index, _timestamp, _data, _proof, _previous_hash } = value.state;
  if (!Number.isSafeInteger(_index)) throw fail("_index is not an integer");
  if (typeof _timestamp !== "number" || !Number.isFinite(_timestamp) || _timestamp < 0) {
    throw fail("_timestamp is not a number of seconds");
  }
  if (_proof !== null && !Number.isSafeInteger(_proof)) throw fail("_proof is not an integer");
  if (_previous_hash !== null && typeof _previous_hash !== "string") {
    throw fail("_previous_hash is not a string");
  }
  let data: { id: string; message: string };
  try {
    data = originalDataFrom(_data);
  } catch (err) {
    throw fail(`_data: ${(err as Error).message}`);
  }
  return {
    index: _index as number,
    timestamp: _timestamp,
    data,
    proof: _proof as number | null,
    previousHash: _previous_hash as string | null,
  };
}
