import { crc32 } from "node:zlib";

/** A binary chain-file record around `payload`: framed (length, its complement) and with its CRC right. */
export function binaryRecord(payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(~payload.length >>> 0, 4);
  const body = Buffer.concat([head, payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body), 0);
  return Buffer.concat([body, crc]);
}
