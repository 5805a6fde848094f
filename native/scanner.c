#include "scanner.h"

#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "sha256.h"

/*
 * The prefix's whole 64-byte blocks never change, so they are compressed once
 * (the midstate). What follows them (the prefix's last partial block, the
 * digits, the suffix and the padding) is the candidate's "tail", laid out in a
 * buffer of whole blocks. The digits are incremented in place; only when they
 * grow by one digit (999 -> 1000) is the tail laid out again. Each candidate
 * then costs one compression per tail block, usually one.
 */
typedef struct {
    uint32_t midstate[8];
    uint64_t fixed_len; /* bytes folded into the midstate */
    const uint8_t *rest; /* the prefix after its whole blocks (< 64 bytes) */
    size_t rest_len;
    const uint8_t *suffix;
    size_t suffix_len;
    uint8_t *tail;
    size_t blocks; /* tail blocks for the current digit count */
    int digits;
} search_t;

/** The largest tail: 63 prefix bytes, 20 digits (any uint64), the suffix, 9 bytes of padding. */
static size_t tail_capacity(size_t suffix_len) { return ((63 + 20 + suffix_len + 9) / 64 + 1) * 64; }

/** Writes the tail for `nonce`: rest, digits, suffix, 0x80, zeros, the message length in bits. */
static void layout(search_t *s, uint64_t nonce) {
    uint8_t *p = s->tail;
    memcpy(p, s->rest, s->rest_len);
    uint8_t *digits = p + s->rest_len;
    s->digits = (int)(write_decimal(digits, nonce) - digits);
    size_t used = s->rest_len + (size_t)s->digits;
    memcpy(p + used, s->suffix, s->suffix_len);
    used += s->suffix_len;
    s->blocks = (used + 9 + 63) / 64;
    size_t end = s->blocks * 64;
    p[used] = 0x80;
    memset(p + used + 1, 0, end - used - 1);
    uint64_t bits = (s->fixed_len + used) * 8;
    for (int i = 0; i < 8; i++) p[end - 1 - i] = (uint8_t)(bits >> (8 * i));
}

/**
 * Adds one to the `digits` decimal digits at `first`, in place; false when
 * they all were 9 (the tail must be laid out again, one digit longer).
 */
static inline int increment_digits(uint8_t *first, int digits) {
    uint8_t *digit = first + digits - 1;
    while (*digit == '9') {
        *digit = '0';
        if (digit == first) return 0;
        digit--;
    }
    (*digit)++;
    return 1;
}

static inline int increment(search_t *s) { return increment_digits(s->tail + s->rest_len, s->digits); }

/** Whether the digest (as state words) ends in `difficulty` zero hex digits. */
static inline int meets(const uint32_t state[8], int difficulty) {
    for (int word = 7; difficulty > 0; word--, difficulty -= 8) {
        uint32_t mask = difficulty >= 8 ? 0xffffffffu : (1u << (4 * difficulty)) - 1;
        if (state[word] & mask) return 0;
    }
    return 1;
}

/** One call of the engine's compression (outside the hot loop). */
#if SHA256_HAVE_SHA_NI
SHA_NI static void compress_sha_ni_call(uint32_t state[8], const uint8_t *data, size_t blocks) {
    sha256_compress_sha_ni(state, data, blocks);
}
#endif

static void compress(scan_engine engine, uint32_t state[8], const uint8_t *data, size_t blocks) {
#if SHA256_HAVE_SHA_NI
    if (engine == ENGINE_SHA_NI) {
        compress_sha_ni_call(state, data, blocks);
        return;
    }
#endif
    (void)engine;
    sha256_compress_portable(state, data, blocks);
}

static int prepare(search_t *s, scan_engine engine, const uint8_t *prefix, size_t prefix_len,
                   const uint8_t *suffix, size_t suffix_len) {
    size_t whole = prefix_len / 64;
    memcpy(s->midstate, SHA256_INITIAL_STATE, sizeof s->midstate);
    compress(engine, s->midstate, prefix, whole);
    s->fixed_len = whole * 64;
    s->rest = prefix + whole * 64;
    s->rest_len = prefix_len - whole * 64;
    s->suffix = suffix;
    s->suffix_len = suffix_len;
    s->tail = malloc(tail_capacity(suffix_len));
    return s->tail ? 0 : -1;
}

/* One loop, compiled once per engine so that the compression inlines into it. */
#define SCAN_LOOP(COMPRESS)                                                                        \
    do {                                                                                           \
        uint64_t nonce = start;                                                                    \
        const uint64_t end = start + count;                                                        \
        uint32_t state[8];                                                                         \
        layout(s, nonce);                                                                          \
        while (nonce < end) {                                                                      \
            memcpy(state, s->midstate, sizeof state);                                              \
            COMPRESS(state, s->tail, s->blocks);                                                   \
            if (meets(state, difficulty)) {                                                        \
                out->found = (int64_t)nonce;                                                       \
                out->hashes = nonce - start + 1;                                                   \
                return;                                                                            \
            }                                                                                      \
            nonce++;                                                                               \
            if (!increment(s)) layout(s, nonce);                                                   \
        }                                                                                          \
        out->found = -1;                                                                           \
        out->hashes = count;                                                                       \
    } while (0)

static void scan_portable(search_t *s, uint64_t start, uint64_t count, int difficulty,
                          scan_result *out) {
    SCAN_LOOP(sha256_compress_portable);
}

#if SHA256_HAVE_SHA_NI
/*
 * While the tail is one block, candidates go two at a time through the
 * interleaved compression: the block of nonce + 1 is a copy of nonce's with
 * the digits incremented. The first of the pair is tested first, so the
 * smallest valid nonce still wins. Anything else (a tail of two blocks, a
 * pair across 999 -> 1000, the last odd candidate) takes the one-at-a-time step.
 */
SHA_NI static void scan_sha_ni(search_t *s, uint64_t start, uint64_t count, int difficulty,
                               scan_result *out) {
    uint64_t nonce = start;
    const uint64_t end = start + count;
    uint32_t state[8], second[8];
    uint8_t next[64];
    layout(s, nonce);
    while (nonce < end) {
        if (s->blocks == 1 && end - nonce >= 2) {
            memcpy(next, s->tail, 64);
            if (increment_digits(next + s->rest_len, s->digits)) {
                memcpy(state, s->midstate, sizeof state);
                memcpy(second, s->midstate, sizeof second);
                sha256_compress2_sha_ni(state, s->tail, second, next);
                if (meets(state, difficulty)) {
                    out->found = (int64_t)nonce;
                    out->hashes = nonce - start + 1;
                    return;
                }
                if (meets(second, difficulty)) {
                    out->found = (int64_t)(nonce + 1);
                    out->hashes = nonce - start + 2;
                    return;
                }
                nonce += 2;
                memcpy(s->tail, next, 64);
                if (!increment(s)) layout(s, nonce);
                continue;
            }
        }
        memcpy(state, s->midstate, sizeof state);
        sha256_compress_sha_ni(state, s->tail, s->blocks);
        if (meets(state, difficulty)) {
            out->found = (int64_t)nonce;
            out->hashes = nonce - start + 1;
            return;
        }
        nonce++;
        if (!increment(s)) layout(s, nonce);
    }
    out->found = -1;
    out->hashes = count;
}
#endif

scan_engine scan_best_engine(void) { return sha256_has_sha_ni() ? ENGINE_SHA_NI : ENGINE_PORTABLE; }

int scan_range(scan_engine engine, const uint8_t *prefix, size_t prefix_len,
               const uint8_t *suffix, size_t suffix_len, uint64_t start, uint64_t count,
               int difficulty, scan_result *out) {
    search_t s;
    if (prepare(&s, engine, prefix, prefix_len, suffix, suffix_len) < 0) return -1;
#if SHA256_HAVE_SHA_NI
    if (engine == ENGINE_SHA_NI) {
        scan_sha_ni(&s, start, count, difficulty, out);
        free(s.tail);
        return 0;
    }
#endif
    scan_portable(&s, start, count, difficulty, out);
    free(s.tail);
    return 0;
}

int scan_digest(scan_engine engine, const uint8_t *prefix, size_t prefix_len,
                const uint8_t *suffix, size_t suffix_len, uint64_t nonce, uint8_t digest[32]) {
    search_t s;
    if (prepare(&s, engine, prefix, prefix_len, suffix, suffix_len) < 0) return -1;
    layout(&s, nonce);
    uint32_t state[8];
    memcpy(state, s.midstate, sizeof state);
    compress(engine, state, s.tail, s.blocks);
    free(s.tail);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)state[i];
    }
    return 0;
}
