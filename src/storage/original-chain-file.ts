import { readFile } from "node:fs/promises";
import { Parser } from "pickleparser";
import type { OriginalBlock } from "../core/original-chain.js";
import { isPyObject, JsonPickleError, type PyObject, parseJsonPickle } from "./jsonpickle.js";
import { type OriginalFormat, recogniseOriginalChain } from "./original-format.js";

export { type OriginalFormat, recogniseOriginalChain } from "./original-format.js";

/** An original chain file that cannot be read, or a file that is not one. */
export class OriginalChainError extends Error {
  readonly code = "BAD_ORIGINAL_CHAIN";
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly index?: number,
  ) {
    super(`${path}: ${index === undefined ? "" : `block ${index}: `}${reason}`);
    this.name = "OriginalChainError";
  }
}

/** An original chain file as read: its format and its blocks (not yet checked by the rules). */
export interface OriginalChainFile {
  path: string;
  format: OriginalFormat;
  blocks: OriginalBlock[];
  bytes: Buffer;
}

const BLOCK_CLASS = /(^|\.)block\.Block$/;
const DATA_CLASS = /(^|\.)data\.Data$/;

/** Reads an original chain file (never writing to it); throws OriginalChainError naming what is wrong. */
export async function readOriginalChainFile(path: string): Promise<OriginalChainFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new OriginalChainError(
      path,
      `cannot read the file: ${code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
  const format = recogniseOriginalChain(bytes);
  if (format === null) {
    throw new OriginalChainError(
      path,
      "not a chain file of the original Python node (neither its jsonpickle JSON nor its pickle of Block objects)",
    );
  }
  const list = format === "pickle" ? unpickle(path, bytes) : unJsonPickle(path, bytes);
  if (!Array.isArray(list)) throw new OriginalChainError(path, "the file does not hold a list");
  return { path, format, bytes, blocks: list.map((item, i) => toOriginalBlock(path, item, i)) };
}

function unJsonPickle(path: string, bytes: Buffer): unknown {
  try {
    return parseJsonPickle(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    if (err instanceof JsonPickleError || err instanceof TypeError) {
      throw new OriginalChainError(path, `cannot decode its jsonpickle JSON: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Unpickles with a resolver that knows only the original's Block and Data:
 * any other class (and so any code a pickle could name) is refused.
 */
function unpickle(path: string, bytes: Buffer): unknown {
  const parser = new Parser({
    nameResolver: { resolve: pickledClass },
    unpicklingTypeOfDictionary: "Map",
    unpicklingTypeOfSet: "array",
  });
  try {
    return parser.parse<unknown>(bytes);
  } catch (err) {
    throw new OriginalChainError(path, `cannot unpickle it: ${(err as Error).message}`);
  }
}

/** The stand-in class of an allowed Python class: it keeps the pickled attributes as a PyObject. */
function pickledClass(module: string, name: string): new () => PyObject {
  const pyClass = `${module}.${name}`;
  if (!BLOCK_CLASS.test(pyClass) && !DATA_CLASS.test(pyClass)) {
    throw new Error(`the pickle names the class ${pyClass}, not the original's Block or Data`);
  }
  return class Pickled implements PyObject {
    readonly pyClass = pyClass;
    state: Record<string, unknown> = Object.create(null);
    __setstate__(state: unknown): void {
      if (!(state instanceof Map)) throw new Error(`${pyClass}: its state is not a dict`);
      for (const [key, value] of state) if (typeof key === "string") this.state[key] = value;
    }
  };
}

function toOriginalBlock(path: string, value: unknown, index: number): OriginalBlock {
  const fail = (reason: string) => new OriginalChainError(path, reason, index);
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
  if (!isPyObject(_data) || !DATA_CLASS.test(_data.pyClass)) {
    throw fail("_data is not an object of the original's Data class");
  }
  const { _id, _message } = _data.state;
  if (typeof _id !== "string") throw fail("_data._id is not a string");
  if (typeof _message !== "string") throw fail("_data._message is not a string");
  return {
    index: _index as number,
    timestamp: _timestamp,
    data: { id: _id, message: _message },
    proof: _proof as number | null,
    previousHash: _previous_hash as string | null,
  };
}
