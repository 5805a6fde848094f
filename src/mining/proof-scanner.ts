import { createHash } from "node:crypto";
import {
  candidateOf,
  checkDifficulty,
  digestMeetsDifficulty,
  type ProofSearchInput,
} from "../core/pow.js";
import { SHA256_H0, SHA256_K } from "../core/sha256-constants.js";

/**
 * The hot loop of mining: hashes a rule's candidates, prefix + decimal(proof)
 * + suffix (see ProofSearchInput), for consecutive proofs.
 *
 * Why not node:crypto per candidate: each call crosses from JS into C++ and
 * allocates a Buffer, which costs more than the hash itself for a 10-30 byte
 * input (about 0.6 M hashes/s per thread with crypto.hash, against about
 * 2.5 M/s here; see bench/hashrate.ts). When every candidate fits one 64-byte
 * SHA-256 block (the original rule's always do), this file compresses that
 * one block in plain JS, keeps the candidate's decimal digits in the block and
 * increments them in place, and stops after round 60, which already fixes the
 * digest's last word. Longer candidates hash the prefix once and copy that
 * state for each proof. A
 * candidate that passes that filter is confirmed with node:crypto and the
 * core's digestMeetsDifficulty, so a wrong answer here can never be returned
 * as a proof; the tests hold this scanner to the core's proofOfWork.
 */

/** Outcome of scanning one range of proofs. */
export interface ScanResult {
  /** The smallest valid proof in the scanned part of the range, or null. */
  proof: number | null;
  /** How many candidates were hashed. */
  hashes: number;
  /** True when `shouldStop` ended the scan before the range was covered. */
  stopped: boolean;
}

/**
 * The one function a search worker calls: scans proofs in [start, end) in
 * order and returns the first valid one, calling `shouldStop` every
 * STOP_CHECK_INTERVAL candidates. A native scanner plugs in here.
 */
export type ProofScan = (
  input: ProofSearchInput,
  start: number,
  end: number,
  difficulty: number,
  shouldStop?: () => boolean,
) => ScanResult;

/** How many candidates are hashed between two calls of `shouldStop`. */
export const STOP_CHECK_INTERVAL = 4096;

const K = Int32Array.from(SHA256_K);
const H0 = Int32Array.from(SHA256_H0);
/** Round after which `e` holds what becomes the digest's last word (it shifts to `h` by round 63). */
const LAST_ROUND = 60;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * The last 32-bit word of SHA-256 over one padded block (bytes 28..31 of the
 * digest, big-endian), as a signed int. `w` holds the block's 16 big-endian
 * words on entry and is scratch space for the 64-word schedule.
 */
export function lastDigestWord(w: Int32Array): number {
  for (let i = 16; i <= LAST_ROUND; i++) {
    const w15 = w[i - 15] as number;
    const w2 = w[i - 2] as number;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
  }
  let a = H0[0] as number;
  let b = H0[1] as number;
  let c = H0[2] as number;
  let d = H0[3] as number;
  let e = H0[4] as number;
  let f = H0[5] as number;
  let g = H0[6] as number;
  let h = H0[7] as number;
  for (let i = 0; i <= LAST_ROUND; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + s1 + ch + (K[i] as number) + (w[i] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + s0 + maj) | 0;
  }
  return (e + (H0[7] as number)) | 0;
}

/** Digits of the largest proof (Number.MAX_SAFE_INTEGER has 16). */
const MAX_DIGITS = 16;
/** Bytes of one SHA-256 block left for the message after the 0x80 byte and the 8-byte length. */
const ONE_BLOCK_BYTES = 55;

/**
 * Writes prefix + digits + suffix into `m` as the 16 big-endian words of one
 * padded SHA-256 block; returns the number of digits.
 */
function layoutBlock(
  m: Int32Array,
  prefix: Uint8Array,
  digits: string,
  suffix: Uint8Array,
): number {
  m.fill(0, 0, 16);
  let i = 0;
  for (const byte of prefix) addByte(m, i++, byte);
  for (let k = 0; k < digits.length; k++) addByte(m, i++, digits.charCodeAt(k));
  for (const byte of suffix) addByte(m, i++, byte);
  addByte(m, i, 0x80);
  m[15] = i * 8;
  return digits.length;
}

/** Adds `value` to byte `i` of the block held as big-endian words (the byte must not overflow). */
function addByte(m: Int32Array, i: number, value: number): void {
  const word = i >> 2;
  m[word] = ((m[word] as number) + (value << (24 - ((i & 3) << 3)))) | 0;
}

/** Byte `i` of the block held as big-endian words. */
function byteAt(m: Int32Array, i: number): number {
  return ((m[i >> 2] as number) >>> (24 - ((i & 3) << 3))) & 0xff;
}

/** Scans proofs in [start, end) in order and returns the first valid one (see ProofScan). */
export function scanProofs(
  input: ProofSearchInput,
  start: number,
  end: number,
  difficulty: number,
  shouldStop: () => boolean = () => false,
): ScanResult {
  checkDifficulty(difficulty);
  const prefix = Buffer.from(input.prefix, "utf8");
  const suffix = Buffer.from(input.suffix, "utf8");
  const scan = { input, prefix, suffix, start, end, difficulty, shouldStop };
  return prefix.length + MAX_DIGITS + suffix.length <= ONE_BLOCK_BYTES
    ? scanOneBlock(scan)
    : scanHashCopies(scan);
}

/** One scan's arguments, with the prefix and suffix as UTF-8 bytes. */
interface Scan {
  input: ProofSearchInput;
  prefix: Uint8Array;
  suffix: Uint8Array;
  start: number;
  end: number;
  difficulty: number;
  shouldStop: () => boolean;
}

/** The fast path: every candidate is one SHA-256 block, filtered on the digest's last word. */
function scanOneBlock(scan: Scan): ScanResult {
  const { input, prefix, suffix, difficulty } = scan;
  // The fast filter looks at the digest's last word, 8 hex digits at most;
  // a harder difficulty is finished by the confirmation below.
  const nibbles = Math.min(difficulty, 8);
  const mask = nibbles === 8 ? -1 : (1 << (4 * nibbles)) - 1;
  // `m` is the candidate's block; `w` is the schedule, which overwrites its copy of the block.
  const m = new Int32Array(16);
  const w = new Int32Array(64);
  let digits = layoutBlock(m, prefix, String(scan.start), suffix);
  return scanRange(scan, (proof) => {
    w.set(m);
    if ((lastDigestWord(w) & mask) === 0 && confirm(input, proof, difficulty)) return true;
    digits = nextCandidate(m, prefix, suffix, digits, proof + 1);
    return false;
  });
}

/** Increments the decimal digits held in the block; re-lays it out when they grow by one digit. */
function nextCandidate(
  m: Int32Array,
  prefix: Uint8Array,
  suffix: Uint8Array,
  digits: number,
  next: number,
): number {
  let i = prefix.length + digits - 1;
  while (i >= prefix.length && byteAt(m, i) === NINE) {
    addByte(m, i, ZERO - NINE);
    i--;
  }
  if (i < prefix.length) return layoutBlock(m, prefix, String(next), suffix);
  addByte(m, i, 1);
  return digits;
}

/** Candidates longer than one block: the prefix is hashed once, its state copied per proof. */
function scanHashCopies(scan: Scan): ScanResult {
  const base = createHash("sha256").update(scan.prefix);
  return scanRange(scan, (proof) => {
    const digest = base.copy().update(String(proof)).update(scan.suffix).digest();
    return digestMeetsDifficulty(digest, scan.difficulty);
  });
}

/**
 * Tries proofs in [start, end) in order until `isValid` holds, asking
 * `shouldStop` every STOP_CHECK_INTERVAL candidates.
 */
function scanRange(
  { start, end, shouldStop }: Scan,
  isValid: (proof: number) => boolean,
): ScanResult {
  let untilCheck = STOP_CHECK_INTERVAL;
  for (let proof = start; proof < end; proof++) {
    if (--untilCheck === 0) {
      untilCheck = STOP_CHECK_INTERVAL;
      if (shouldStop()) return { proof: null, hashes: proof - start, stopped: true };
    }
    if (isValid(proof)) return { proof, hashes: proof - start + 1, stopped: false };
  }
  return { proof: null, hashes: Math.max(0, end - start), stopped: false };
}

/** The exact check, by node:crypto and the core's rule. */
function confirm(input: ProofSearchInput, proof: number, difficulty: number): boolean {
  const digest = createHash("sha256").update(candidateOf(input, proof)).digest();
  return digestMeetsDifficulty(digest, difficulty);
}
