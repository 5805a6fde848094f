/*
 * Buffer#indexOf and #lastIndexOf for a byte, right at any size. Node 20's
 * own return an int32: past 2 GiB they give a wrapped, negative position
 * (measured: a newline at 2^31 + 50 comes back as -2147483598), which framed
 * a chain file over 2 GiB wrongly and, read as a string, aborted the process.
 * Buffers below 2 GiB take the built-ins as they are; larger ones are
 * searched in windows of at most 1 GiB.
 */

/** The largest buffer whose positions the built-ins return right. */
const INT32_SAFE = 0x7fffffff;
const WINDOW = 1 << 30;

/** The position of the first `byte` at or after `from`, or -1. */
export function indexOfByte(bytes: Uint8Array, byte: number, from = 0): number {
  const buffer = asBuffer(bytes);
  if (buffer.length <= INT32_SAFE) return buffer.indexOf(byte, from);
  for (let start = Math.max(0, from); start < buffer.length; start += WINDOW) {
    const at = buffer.subarray(start, Math.min(start + WINDOW, buffer.length)).indexOf(byte);
    if (at >= 0) return start + at;
  }
  return -1;
}

/** The position of the last `byte` at or before `from` (default: the end), or -1. */
export function lastIndexOfByte(bytes: Uint8Array, byte: number, from = bytes.length - 1): number {
  const buffer = asBuffer(bytes);
  if (buffer.length <= INT32_SAFE) return buffer.lastIndexOf(byte, from);
  for (let end = Math.min(from, buffer.length - 1) + 1; end > 0; end -= WINDOW) {
    const start = Math.max(0, end - WINDOW);
    const at = buffer.subarray(start, end).lastIndexOf(byte);
    if (at >= 0) return start + at;
  }
  return -1;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
