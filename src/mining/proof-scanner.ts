import { createHash } from "node:crypto";
import {
  candidateOf,
  checkDifficulty,
  digestMeetsDifficulty,
  type ProofSearchInput,
} from "../core/pow.js";
import { compressBlock } from "../core/sha256-block.js";
import { SHA256_H0, SHA256_K } from "../core/sha256-constants.js";

/**
 * The hot loop of mining: hashes a rule's candidates, prefix + decimal(proof)
 * + suffix (see ProofSearchInput), for consecutive proofs.
 *
 * Why not node:crypto per candidate: each call crosses from JS into C++ and
 * allocates a Buffer, which costs more than the hash itself for a 10-30 byte
 * input (about 0.6 M hashes/s per thread with crypto.hash, against about
 * 2.5 M/s here; see bench/hashrate.ts). So this file compresses the prefix's
 * whole 64-byte blocks once (the midstate: a content-rule block's encoding up
 * to `"proof":` is mostly that), keeps the rest of the candidate (the tail:
 * the prefix's last partial block, the decimal digits, the suffix and the
 * padding, one or two blocks) as big-endian words, increments the digits in
 * place, and compresses only the tail per candidate in plain JS, stopping the
 * last block after round 60, which already fixes the digest's last word. A
 * tail longer than two blocks (a long suffix) falls back to copying
 * node:crypto's state after the prefix. A
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
 * The last 32-bit word of the digest (bytes 28..31, big-endian, as a signed
 * int) when the block in `w` is the message's last and `state` the hash state
 * before it (H0 for a one-block message). `w` holds the block's 16
 * big-endian words on entry and is scratch space for the 64-word schedule.
 */
export function lastDigestWord(w: Int32Array, state: Int32Array = H0): number {
  for (let i = 16; i <= LAST_ROUND; i++) {
    const w15 = w[i - 15] as number;
    const w2 = w[i - 2] as number;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
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
  return (e + (state[7] as number)) | 0;
}

/** Digits of the largest proof (Number.MAX_SAFE_INTEGER has 16). */
const MAX_DIGITS = 16;
/** Most SHA-256 blocks in a tail compressed in JS. */
const MAX_TAIL_BLOCKS = 2;
/** Bytes of padding at least: the 0x80 byte and the 8-byte length. */
const PADDING_BYTES = 9;
/** Longest message (in bits) whose length fits the one 32-bit word this file writes. */
const MAX_MESSAGE_BITS = 2 ** 31 - 1;

/**
 * The candidate's tail, as big-endian words: `rest` (the prefix after its
 * whole blocks), the digits, the suffix and the padding, in one or two blocks.
 */
interface Tail {
  m: Int32Array;
  /** Where the digits start (the length of `rest`). */
  at: number;
  digits: number;
  blocks: number;
}

/** Lays out rest + digits + suffix + padding in `tail.m`; `fixedBytes` went into the midstate. */
function layoutTail(
  tail: Tail,
  rest: Uint8Array,
  digits: string,
  suffix: Uint8Array,
  fixedBytes: number,
): void {
  const { m } = tail;
  m.fill(0);
  let i = 0;
  for (const byte of rest) addByte(m, i++, byte);
  for (let k = 0; k < digits.length; k++) addByte(m, i++, digits.charCodeAt(k));
  for (const byte of suffix) addByte(m, i++, byte);
  addByte(m, i, 0x80);
  tail.blocks = Math.ceil((i + PADDING_BYTES) / 64);
  m[tail.blocks * 16 - 1] = (fixedBytes + i) * 8;
  tail.digits = digits.length;
}

/** Adds `value` to byte `i` of the blocks held as big-endian words (the byte must not overflow). */
function addByte(m: Int32Array, i: number, value: number): void {
  const word = i >> 2;
  m[word] = ((m[word] as number) + (value << (24 - ((i & 3) << 3)))) | 0;
}

/** Byte `i` of the blocks held as big-endian words. */
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
  const fixedBytes = prefix.length - (prefix.length % 64);
  const longestTail = prefix.length - fixedBytes + MAX_DIGITS + suffix.length + PADDING_BYTES;
  const bits = (prefix.length + MAX_DIGITS + suffix.length) * 8;
  return longestTail <= MAX_TAIL_BLOCKS * 64 && bits <= MAX_MESSAGE_BITS
    ? scanTail(scan, fixedBytes)
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

/** The prefix's whole blocks folded into the hash state once: the midstate. */
function midstateOf(prefix: Uint8Array, fixedBytes: number): Int32Array {
  const state = Int32Array.from(H0);
  const w = new Int32Array(64);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  for (let at = 0; at < fixedBytes; at += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(at + 4 * i);
    compressBlock(w, state);
  }
  return state;
}

/**
 * The fast path: the prefix's whole blocks are hashed once; per candidate
 * only the tail (one or two blocks) is compressed, filtered on the digest's
 * last word. The original rule's candidates are a tail of one block.
 */
function scanTail(scan: Scan, fixedBytes: number): ScanResult {
  const { input, prefix, suffix, difficulty } = scan;
  // The fast filter looks at the digest's last word, 8 hex digits at most;
  // a harder difficulty is finished by the confirmation below.
  const nibbles = Math.min(difficulty, 8);
  const mask = nibbles === 8 ? -1 : (1 << (4 * nibbles)) - 1;
  const midstate = midstateOf(prefix, fixedBytes);
  const rest = prefix.subarray(fixedBytes);
  // `tail.m` holds the candidate's tail; `w` is the schedule, which overwrites its copy of a block.
  const tail: Tail = {
    m: new Int32Array(16 * MAX_TAIL_BLOCKS),
    at: rest.length,
    digits: 0,
    blocks: 1,
  };
  const first = tail.m.subarray(0, 16);
  const second = tail.m.subarray(16, 32);
  const w = new Int32Array(64);
  const state = new Int32Array(8);
  layoutTail(tail, rest, String(scan.start), suffix, fixedBytes);
  return scanRange(scan, (proof) => {
    w.set(first);
    let word: number;
    if (tail.blocks === 1) {
      word = lastDigestWord(w, midstate);
    } else {
      state.set(midstate);
      compressBlock(w, state);
      w.set(second);
      word = lastDigestWord(w, state);
    }
    if ((word & mask) === 0 && confirm(input, proof, difficulty)) return true;
    nextCandidate(tail, rest, suffix, fixedBytes, proof + 1);
    return false;
  });
}

/** Increments the decimal digits held in the tail; re-lays it out when they grow by one digit. */
function nextCandidate(
  tail: Tail,
  rest: Uint8Array,
  suffix: Uint8Array,
  fixedBytes: number,
  next: number,
): void {
  const { m, at } = tail;
  let i = at + tail.digits - 1;
  while (i >= at && byteAt(m, i) === NINE) {
    addByte(m, i, ZERO - NINE);
    i--;
  }
  if (i < at) {
    layoutTail(tail, rest, String(next), suffix, fixedBytes);
    return;
  }
  addByte(m, i, 1);
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
