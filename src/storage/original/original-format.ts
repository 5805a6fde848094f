/** The two formats of the original Python node's chain files. */
export type OriginalFormat = "jsonpickle" | "pickle";

const PICKLE_PROTO = 0x80;
/** How much of a file is looked at. */
const HEAD_BYTES = 4096;

/**
 * Which of the original's formats `bytes` are in, from their content alone
 * (the original named its pickle file `chain.json` too): a pickle (protocol
 * 2 to 5) or a jsonpickle array, either naming the original's Block class.
 * Null for anything else.
 */
export function recogniseOriginalChain(bytes: Uint8Array): OriginalFormat | null {
  // The class names come first in both formats: the head alone decides, so a big file costs nothing.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, HEAD_BYTES));
  if (!head.includes("block") || !head.includes("Block")) return null;
  const proto = head[1] ?? 0;
  if (head[0] === PICKLE_PROTO && proto >= 2 && proto <= 5) return "pickle";
  const text = head.toString("utf8").trimStart();
  if (text.startsWith("[") && text.includes('"py/object"')) return "jsonpickle";
  return null;
}
