/*
 * The proof search loop: candidate bytes are prefix + decimal(nonce) + suffix,
 * valid when the SHA-256 digest ends in `difficulty` zero hex digits.
 */
#ifndef BLOCKCHAIN_SCANNER_H
#define BLOCKCHAIN_SCANNER_H

#include <stddef.h>
#include <stdint.h>

/**
 * PORTABLE: plain C, in 8 lanes of AVX2 vectors where the CPU has AVX2;
 * SHA_NI: the SHA extensions, 4 interleaved chains; SCALAR: plain C, one
 * candidate at a time (the portable engine without AVX2, for tests anywhere).
 */
typedef enum { ENGINE_PORTABLE = 0, ENGINE_SHA_NI = 1, ENGINE_SCALAR = 2 } scan_engine;

typedef struct {
    /** The smallest valid nonce of the range, or -1. */
    int64_t found;
    /** Candidates hashed. */
    uint64_t hashes;
} scan_result;

/** The fastest engine this CPU runs. */
scan_engine scan_best_engine(void);

/**
 * Scans nonces in [start, start + count) in order and stops at the first
 * valid one. Returns -1 in `found` when none is; a negative return value means
 * out of memory.
 */
int scan_range(scan_engine engine, const uint8_t *prefix, size_t prefix_len,
               const uint8_t *suffix, size_t suffix_len, uint64_t start, uint64_t count,
               int difficulty, scan_result *out);

/** The SHA-256 digest of one candidate (for tests of the engines); negative on out of memory. */
int scan_digest(scan_engine engine, const uint8_t *prefix, size_t prefix_len,
                const uint8_t *suffix, size_t suffix_len, uint64_t nonce, uint8_t digest[32]);

#endif
