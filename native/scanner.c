#include "scanner.h"

#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "sha256-avx2.h"
#include "sha256.h"

/*
 * The prefix's whole 64-byte blocks never change, so they are compressed once
 * (the midstate). What follows them (the prefix's last partial block, the
 * digits, the suffix and the padding) is a candidate's "tail", laid out in a
 * buffer of whole blocks. Each engine hashes several candidates at once, one
 * per lane (SHA-NI: 4 interleaved chains; AVX2: 8 lanes of a vector; plain C:
 * 1): lane l holds nonce + l in a tail of its own. After each step every
 * lane's digits go up by the number of lanes, in place; only when they grow by
 * one digit (999 -> 1000) is a lane's tail laid out again. The lanes are
 * tested in order, so the smallest valid nonce of a range is the one found,
 * whatever the engine.
 */

#define MAX_LANES 8

typedef struct {
    uint32_t midstate[8];
    uint64_t fixed_len;  /* bytes folded into the midstate */
    const uint8_t *rest; /* the prefix after its whole blocks (< 64 bytes) */
    size_t rest_len;
    const uint8_t *suffix;
    size_t suffix_len;
    uint8_t *tails; /* `lanes` tails, `stride` bytes apart */
    size_t stride;
    int lanes;
    size_t blocks[MAX_LANES]; /* tail blocks of each lane, for its digit count */
    int digits[MAX_LANES];
    int uniform; /* every lane's tail has as many blocks as lane 0's */
} search_t;

/** The largest tail: 63 prefix bytes, 20 digits (any uint64), the suffix, 9 bytes of padding. */
static size_t tail_capacity(size_t suffix_len) { return ((63 + 20 + suffix_len + 9) / 64 + 1) * 64; }

static inline uint8_t *tail_of(const search_t *s, int lane) { return s->tails + (size_t)lane * s->stride; }

/** Writes lane `lane`'s tail for `nonce`: rest, digits, suffix, 0x80, zeros, the length in bits. */
static void layout(search_t *s, int lane, uint64_t nonce) {
    uint8_t *p = tail_of(s, lane);
    if (s->rest_len > 0) memcpy(p, s->rest, s->rest_len);
    uint8_t *digits = p + s->rest_len;
    s->digits[lane] = (int)(write_decimal(digits, nonce) - digits);
    size_t used = s->rest_len + (size_t)s->digits[lane];
    if (s->suffix_len > 0) memcpy(p + used, s->suffix, s->suffix_len);
    used += s->suffix_len;
    s->blocks[lane] = (used + 9 + 63) / 64;
    size_t end = s->blocks[lane] * 64;
    p[used] = 0x80;
    memset(p + used + 1, 0, end - used - 1);
    uint64_t bits = (s->fixed_len + used) * 8;
    for (int i = 0; i < 8; i++) p[end - 1 - i] = (uint8_t)(bits >> (8 * i));
}

static void check_uniform(search_t *s) {
    s->uniform = 1;
    for (int l = 1; l < s->lanes; l++) s->uniform &= s->blocks[l] == s->blocks[0];
}

/** Lays out lane l for nonce + l, every lane. */
static void layout_lanes(search_t *s, uint64_t nonce) {
    for (int l = 0; l < s->lanes; l++) layout(s, l, nonce + (uint64_t)l);
    check_uniform(s);
}

/**
 * Adds `k` (at most 9) to the `digits` decimal digits at `first`, in place;
 * false when the sum has one digit more (the tail must be laid out again).
 */
static inline int add_digits(uint8_t *first, int digits, unsigned k) {
    uint8_t *digit = first + digits - 1;
    const unsigned last = (unsigned)(*digit - '0') + k;
    if (last < 10) {
        *digit = (uint8_t)('0' + last);
        return 1;
    }
    *digit = (uint8_t)('0' + last - 10);
    while (digit != first) {
        digit--;
        if (*digit != '9') {
            (*digit)++;
            return 1;
        }
        *digit = '0';
    }
    return 0;
}

/** Every lane one step on: lane l now holds `nonce` + l. */
static inline void advance(search_t *s, uint64_t nonce) {
    int relaid = 0;
    for (int l = 0; l < s->lanes; l++) {
        if (!add_digits(tail_of(s, l) + s->rest_len, s->digits[l], (unsigned)s->lanes)) {
            layout(s, l, nonce + (uint64_t)l);
            relaid = 1;
        }
    }
    if (relaid) check_uniform(s);
}

/** Whether the digest (as state words) ends in `difficulty` zero hex digits. */
static inline int meets(const uint32_t state[8], int difficulty) {
    for (int word = 7; difficulty > 0; word--, difficulty -= 8) {
        uint32_t mask = difficulty >= 8 ? 0xffffffffu : (1u << (4 * difficulty)) - 1;
        if (state[word] & mask) return 0;
    }
    return 1;
}

/** The bits of the digest's last word that `difficulty` needs zero: a first filter. */
static inline uint32_t last_word_mask(int difficulty) {
    return difficulty >= 8 ? 0xffffffffu : (1u << (4 * difficulty)) - 1;
}

static inline void found_at(scan_result *out, uint64_t start, uint64_t nonce) {
    out->found = (int64_t)nonce;
    out->hashes = nonce - start + 1;
}

static inline void none_in(scan_result *out, uint64_t count) {
    out->found = -1;
    out->hashes = count;
}

/* ------------------------------------------------------------------------ */
/* Plain C: one lane.                                                        */

static void hash_lane_portable(const search_t *s, int lane, uint32_t state[8]) {
    memcpy(state, s->midstate, 32);
    sha256_compress_portable(state, tail_of(s, lane), s->blocks[lane]);
}

static void scan_scalar(search_t *s, uint64_t start, uint64_t count, int difficulty, scan_result *out) {
    const uint64_t end = start + count;
    uint32_t state[8];
    layout_lanes(s, start);
    for (uint64_t nonce = start; nonce < end; nonce++) {
        hash_lane_portable(s, 0, state);
        if (meets(state, difficulty)) return found_at(out, start, nonce);
        advance(s, nonce + 1);
    }
    none_in(out, count);
}

/* ------------------------------------------------------------------------ */
/* AVX2: 8 lanes of a vector, the portable engine where the CPU has AVX2.    */

#if SHA256_HAVE_AVX2
AVX2 static void scan_avx2(search_t *s, uint64_t start, uint64_t count, int difficulty, scan_result *out) {
    const uint64_t end = start + count;
    const __m256i filter = _mm256_set1_epi32((int)last_word_mask(difficulty));
    uint64_t nonce = start;
    layout_lanes(s, nonce);
    while (end - nonce >= 8) {
        if (s->uniform) {
            __m256i state[8];
            for (int i = 0; i < 8; i++) state[i] = _mm256_set1_epi32((int)s->midstate[i]);
            for (size_t b = 0; b < s->blocks[0]; b++) sha256_avx2_x8(state, s->tails + 64 * b, (int)s->stride);
            const __m256i zero = _mm256_cmpeq_epi32(_mm256_and_si256(state[7], filter), _mm256_setzero_si256());
            if (_mm256_movemask_ps(_mm256_castsi256_ps(zero)) != 0) {
                uint32_t words[8][8];
                for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)words[i], state[i]);
                for (int l = 0; l < 8; l++) {
                    uint32_t lane[8];
                    for (int i = 0; i < 8; i++) lane[i] = words[i][l];
                    if (meets(lane, difficulty)) return found_at(out, start, nonce + (uint64_t)l);
                }
            }
        } else {
            for (int l = 0; l < 8; l++) {
                uint32_t lane[8];
                hash_lane_portable(s, l, lane);
                if (meets(lane, difficulty)) return found_at(out, start, nonce + (uint64_t)l);
            }
        }
        nonce += 8;
        advance(s, nonce);
    }
    for (int l = 0; nonce + (uint64_t)l < end; l++) {
        uint32_t lane[8];
        hash_lane_portable(s, l, lane);
        if (meets(lane, difficulty)) return found_at(out, start, nonce + (uint64_t)l);
    }
    none_in(out, count);
}
#endif

/* ------------------------------------------------------------------------ */
/* SHA-NI: 4 interleaved chains.                                             */

#if SHA256_HAVE_SHA_NI
#define SHA_NI_LANES 4

/** Lane `lane` alone, from the midstate in the SHA-NI order; its digest's state words. */
SHA_NI static inline void hash_lane_sha_ni(const search_t *s, int lane, __m128i mid0, __m128i mid1,
                                           uint32_t state[8]) {
    __m128i abef = mid0, cdgh = mid1;
    const uint8_t *tail = tail_of(s, lane);
    for (size_t b = 0; b < s->blocks[lane]; b++) {
        const uint8_t *data[1] = {tail + 64 * b};
        sha256_ni_lanes(1, &abef, &cdgh, data);
    }
    sha256_ni_state_out(abef, cdgh, state);
}

SHA_NI static void scan_sha_ni(search_t *s, uint64_t start, uint64_t count, int difficulty,
                               scan_result *out) {
    const uint64_t end = start + count;
    const uint32_t filter = last_word_mask(difficulty);
    __m128i mid0, mid1;
    sha256_ni_state_in(s->midstate, &mid0, &mid1);
    uint64_t nonce = start;
    uint32_t state[8];
    layout_lanes(s, nonce);
    while (end - nonce >= SHA_NI_LANES) {
        if (s->uniform) {
            __m128i abef[SHA_NI_LANES] = {mid0, mid0, mid0, mid0};
            __m128i cdgh[SHA_NI_LANES] = {mid1, mid1, mid1, mid1};
            for (size_t b = 0; b < s->blocks[0]; b++) {
                const uint8_t *data[SHA_NI_LANES];
                for (int l = 0; l < SHA_NI_LANES; l++) data[l] = tail_of(s, l) + 64 * b;
                sha256_ni_lanes(SHA_NI_LANES, abef, cdgh, data);
            }
            for (int l = 0; l < SHA_NI_LANES; l++) {
                if (sha256_ni_h(cdgh[l]) & filter) continue;
                sha256_ni_state_out(abef[l], cdgh[l], state);
                if (meets(state, difficulty)) return found_at(out, start, nonce + (uint64_t)l);
            }
        } else {
            for (int l = 0; l < SHA_NI_LANES; l++) {
                hash_lane_sha_ni(s, l, mid0, mid1, state);
                if (meets(state, difficulty)) return found_at(out, start, nonce + (uint64_t)l);
            }
        }
        nonce += SHA_NI_LANES;
        advance(s, nonce);
    }
    for (int l = 0; nonce + (uint64_t)l < end; l++) {
        hash_lane_sha_ni(s, l, mid0, mid1, state);
        if (meets(state, difficulty)) return found_at(out, start, nonce + (uint64_t)l);
    }
    none_in(out, count);
}

/** The midstate by SHA-NI (outside the hot loop). */
SHA_NI static void compress_sha_ni_call(uint32_t state[8], const uint8_t *data, size_t blocks) {
    sha256_compress_sha_ni(state, data, blocks);
}
#endif

/* ------------------------------------------------------------------------ */

scan_engine scan_best_engine(void) { return sha256_has_sha_ni() ? ENGINE_SHA_NI : ENGINE_PORTABLE; }

/** How many lanes `engine` hashes at once on this CPU. */
static int lanes_of(scan_engine engine) {
#if SHA256_HAVE_SHA_NI
    if (engine == ENGINE_SHA_NI) return SHA_NI_LANES;
#endif
#if SHA256_HAVE_AVX2
    if (engine == ENGINE_PORTABLE && sha256_has_avx2()) return 8;
#endif
    return 1;
}

static int prepare(search_t *s, scan_engine engine, const uint8_t *prefix, size_t prefix_len,
                   const uint8_t *suffix, size_t suffix_len) {
    size_t whole = prefix_len / 64;
    memcpy(s->midstate, SHA256_INITIAL_STATE, sizeof s->midstate);
#if SHA256_HAVE_SHA_NI
    if (engine == ENGINE_SHA_NI)
        compress_sha_ni_call(s->midstate, prefix, whole);
    else
#endif
        sha256_compress_portable(s->midstate, prefix, whole);
    s->fixed_len = whole * 64;
    s->rest = prefix + whole * 64;
    s->rest_len = prefix_len - whole * 64;
    s->suffix = suffix;
    s->suffix_len = suffix_len;
    s->lanes = lanes_of(engine);
    s->stride = tail_capacity(suffix_len);
    s->tails = malloc(s->stride * (size_t)s->lanes);
    return s->tails ? 0 : -1;
}

int scan_range(scan_engine engine, const uint8_t *prefix, size_t prefix_len,
               const uint8_t *suffix, size_t suffix_len, uint64_t start, uint64_t count,
               int difficulty, scan_result *out) {
    search_t s;
    if (prepare(&s, engine, prefix, prefix_len, suffix, suffix_len) < 0) return -1;
#if SHA256_HAVE_SHA_NI
    if (engine == ENGINE_SHA_NI) {
        scan_sha_ni(&s, start, count, difficulty, out);
        free(s.tails);
        return 0;
    }
#endif
#if SHA256_HAVE_AVX2
    if (s.lanes == 8) {
        scan_avx2(&s, start, count, difficulty, out);
        free(s.tails);
        return 0;
    }
#endif
    scan_scalar(&s, start, count, difficulty, out);
    free(s.tails);
    return 0;
}

int scan_digest(scan_engine engine, const uint8_t *prefix, size_t prefix_len,
                const uint8_t *suffix, size_t suffix_len, uint64_t nonce, uint8_t digest[32]) {
    search_t s;
    if (prepare(&s, engine, prefix, prefix_len, suffix, suffix_len) < 0) return -1;
    layout_lanes(&s, nonce);
    uint32_t state[8];
#if SHA256_HAVE_SHA_NI
    if (engine == ENGINE_SHA_NI) {
        memcpy(state, s.midstate, sizeof state);
        compress_sha_ni_call(state, tail_of(&s, 0), s.blocks[0]);
    } else
#endif
        hash_lane_portable(&s, 0, state);
    free(s.tails);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)state[i];
    }
    return 0;
}
