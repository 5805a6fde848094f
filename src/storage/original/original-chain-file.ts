import { readFile } from "node:fs/promises";
import { Parser } from "pickleparser";
import type { OriginalBlock } from "../../core/original-chain.js";
import { JsonPickleError, type PyObject, parseJsonPickle } from "./jsonpickle.js";
import { type OriginalFormat, recogniseOriginalChain } from "./original-format.js";
import { isOriginalClass, OriginalShapeError, originalBlockFrom } from "./original-objects.js";

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
  return { path, format, bytes, blocks: list.map((item, i) => blockOf(path, item, i)) };
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
  if (!isOriginalClass(pyClass)) {
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

function blockOf(path: string, value: unknown, index: number): OriginalBlock {
  try {
    return originalBlockFrom(value);
  } catch (err) {
    if (err instanceof OriginalShapeError) throw new OriginalChainError(path, err.message, index);
    throw err;
  }
}
