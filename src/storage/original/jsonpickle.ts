/**
 * A reader for the jsonpickle JSON that the original Python node wrote (its
 * chain files and the strings nested in its /chain, /neighbours and /data
 * answers). Only the plain parts are followed: objects (`py/object`, their
 * state given inline), sets (`py/set`) and tuples (`py/tuple`); every tag that
 * would call code in Python (`py/reduce`, `py/function`, `py/type`, ...) or
 * point back (`py/id`) is refused with a JsonPickleError naming it.
 */

/** A Python object met in jsonpickle: its fully qualified class and its attributes. */
export interface PyObject {
  readonly pyClass: string;
  readonly state: Readonly<Record<string, unknown>>;
}

/** jsonpickle input that this reader does not follow, or that is not jsonpickle at all. */
export class JsonPickleError extends Error {
  readonly code = "BAD_JSONPICKLE";
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path || "/"}: ${reason}`);
    this.name = "JsonPickleError";
  }
}

/** Deepest nesting followed: the original's data is three levels deep. */
const MAX_DEPTH = 32;

export function isPyObject(value: unknown): value is PyObject {
  return typeof value === "object" && value !== null && "pyClass" in value && "state" in value;
}

/** Decodes parsed jsonpickle JSON: objects become PyObjects, sets and tuples arrays. */
export function decodeJsonPickle(value: unknown): unknown {
  return decode(value, "", 0);
}

/** Parses a jsonpickle string and decodes it; a JsonPickleError when it is not JSON. */
export function parseJsonPickle(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new JsonPickleError("", `not JSON (${(err as Error).message})`);
  }
  return decodeJsonPickle(parsed);
}

function decode(value: unknown, path: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new JsonPickleError(path, "nested too deeply");
  if (Array.isArray(value)) return value.map((item, i) => decode(item, `${path}/${i}`, depth + 1));
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  const tags = Object.keys(record).filter((key) => key.startsWith("py/"));
  if (tags.length === 0) return decodeDict(record, path, depth);
  const [tag] = tags;
  if (tag === "py/object" && tags.length === 1) return decodeObject(record, path, depth);
  if ((tag === "py/set" || tag === "py/tuple") && Object.keys(record).length === 1) {
    const items = record[tag];
    if (!Array.isArray(items)) throw new JsonPickleError(path, `${tag} must hold an array`);
    return items.map((item, i) => decode(item, `${path}/${tag}/${i}`, depth + 1));
  }
  throw new JsonPickleError(path, `jsonpickle tag ${tags.join(", ")} is not supported here`);
}

function decodeObject(record: Record<string, unknown>, path: string, depth: number): PyObject {
  const pyClass = record["py/object"];
  if (typeof pyClass !== "string") throw new JsonPickleError(path, "py/object must name a class");
  const state: Record<string, unknown> = Object.create(null);
  for (const [key, item] of Object.entries(record)) {
    if (key !== "py/object") state[key] = decode(item, `${path}/${key}`, depth + 1);
  }
  return { pyClass, state };
}

function decodeDict(
  record: Record<string, unknown>,
  path: string,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, item] of Object.entries(record)) {
    out[key] = decode(item, `${path}/${key}`, depth + 1);
  }
  return out;
}
