/*
 * SHA-256 block compression, two ways: the CPU's SHA extensions (x86 SHA-NI)
 * and portable C. Only the compression is here: the scanner lays out and pads
 * its own blocks, so that a candidate costs one compression per block. The
 * functions are inline so that each scan loop gets its own copy compiled for
 * its instruction set (a SHA-NI function cannot be inlined into plain code).
 */
#ifndef BLOCKCHAIN_SHA256_H
#define BLOCKCHAIN_SHA256_H

#include <stddef.h>
#include <stdint.h>


static const uint32_t SHA256_INITIAL_STATE[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const uint32_t SHA256_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static inline __attribute__((always_inline)) void sha256_compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    for (; blocks > 0; blocks--, data += 64) {
        for (int i = 0; i < 16; i++) {
            const uint8_t *p = data + 4 * i;
            w[i] = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
        }
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

#define SHA_NI __attribute__((target("sha,sse4.1,ssse3")))

/*
 * The SHA-NI instructions keep the state as two vectors, ABEF and CDGH, and
 * do two rounds per sha256rnds2; the schedule is four vectors of four words,
 * extended four words at a time by sha256msg1/msg2.
 */
SHA_NI static inline __attribute__((always_inline)) void sha256_compress_sha_ni(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);              /* CDAB */
    state1 = _mm_shuffle_epi32(state1, 0x1B);        /* EFGH */
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8); /* ABEF */
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);     /* CDGH */

    for (; blocks > 0; blocks--, data += 64) {
        const __m128i abef = state0;
        const __m128i cdgh = state1;
        __m128i m[4];
#pragma GCC unroll 16
        for (int g = 0; g < 16; g++) {
            __m128i w;
            if (g < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), byteswap);
            } else {
                /* W[t..t+3] from W[t-16..t-13], W[t-15..t-12], W[t-7..t-4], W[t-4..t-1]. */
                __m128i x = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
                w = _mm_sha256msg2_epu32(x, m[(g + 3) & 3]);
            }
            m[g & 3] = w;
            __m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&SHA256_K[4 * g]));
            state1 = _mm_sha256rnds2_epu32(state1, state0, wk);
            wk = _mm_shuffle_epi32(wk, 0x0E);
            state0 = _mm_sha256rnds2_epu32(state0, state1, wk);
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
    }

    tmp = _mm_shuffle_epi32(state0, 0x1B);           /* FEBA */
    state1 = _mm_shuffle_epi32(state1, 0xB1);        /* DCHG */
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);     /* DCBA */
    state1 = _mm_alignr_epi8(state1, tmp, 8);        /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

/*
 * Two independent one-block compressions, interleaved: each sha256rnds2 waits
 * for the one before it in its own chain, so a second chain fills the gaps
 * (about 1.4 times the candidates per second of one chain on this kind of core).
 * Two chains use all 16 xmm registers the SHA instructions can address.
 */
SHA_NI static inline __attribute__((always_inline)) void sha256_compress2_sha_ni(
    uint32_t sa[8], const uint8_t *a, uint32_t sb[8], const uint8_t *b) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i ta = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sa[0]), 0xB1);
    __m128i a1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sa[4]), 0x1B);
    __m128i a0 = _mm_alignr_epi8(ta, a1, 8);
    a1 = _mm_blend_epi16(a1, ta, 0xF0);
    __m128i tb = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sb[0]), 0xB1);
    __m128i b1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sb[4]), 0x1B);
    __m128i b0 = _mm_alignr_epi8(tb, b1, 8);
    b1 = _mm_blend_epi16(b1, tb, 0xF0);
    const __m128i abef_a = a0, cdgh_a = a1, abef_b = b0, cdgh_b = b1;
    __m128i ma[4], mb[4];
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
        __m128i wa, wb;
        if (g < 4) {
            wa = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(a + 16 * g)), byteswap);
            wb = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 16 * g)), byteswap);
        } else {
            __m128i x = _mm_sha256msg1_epu32(ma[g & 3], ma[(g + 1) & 3]);
            __m128i y = _mm_sha256msg1_epu32(mb[g & 3], mb[(g + 1) & 3]);
            x = _mm_add_epi32(x, _mm_alignr_epi8(ma[(g + 3) & 3], ma[(g + 2) & 3], 4));
            y = _mm_add_epi32(y, _mm_alignr_epi8(mb[(g + 3) & 3], mb[(g + 2) & 3], 4));
            wa = _mm_sha256msg2_epu32(x, ma[(g + 3) & 3]);
            wb = _mm_sha256msg2_epu32(y, mb[(g + 3) & 3]);
        }
        ma[g & 3] = wa;
        mb[g & 3] = wb;
        const __m128i k = _mm_loadu_si128((const __m128i *)&SHA256_K[4 * g]);
        __m128i ka = _mm_add_epi32(wa, k);
        __m128i kb = _mm_add_epi32(wb, k);
        a1 = _mm_sha256rnds2_epu32(a1, a0, ka);
        b1 = _mm_sha256rnds2_epu32(b1, b0, kb);
        ka = _mm_shuffle_epi32(ka, 0x0E);
        kb = _mm_shuffle_epi32(kb, 0x0E);
        a0 = _mm_sha256rnds2_epu32(a0, a1, ka);
        b0 = _mm_sha256rnds2_epu32(b0, b1, kb);
    }
    a0 = _mm_add_epi32(a0, abef_a);
    a1 = _mm_add_epi32(a1, cdgh_a);
    b0 = _mm_add_epi32(b0, abef_b);
    b1 = _mm_add_epi32(b1, cdgh_b);
    ta = _mm_shuffle_epi32(a0, 0x1B);
    a1 = _mm_shuffle_epi32(a1, 0xB1);
    _mm_storeu_si128((__m128i *)&sa[0], _mm_blend_epi16(ta, a1, 0xF0));
    _mm_storeu_si128((__m128i *)&sa[4], _mm_alignr_epi8(a1, ta, 8));
    tb = _mm_shuffle_epi32(b0, 0x1B);
    b1 = _mm_shuffle_epi32(b1, 0xB1);
    _mm_storeu_si128((__m128i *)&sb[0], _mm_blend_epi16(tb, b1, 0xF0));
    _mm_storeu_si128((__m128i *)&sb[4], _mm_alignr_epi8(b1, tb, 8));
}

/* The state in the SHA-NI order (ABEF, CDGH) and back. */
SHA_NI static inline __attribute__((always_inline)) void sha256_ni_state_in(const uint32_t state[8],
                                                                            __m128i *abef, __m128i *cdgh) {
    const __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
    const __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    *abef = _mm_alignr_epi8(tmp, efgh, 8);
    *cdgh = _mm_blend_epi16(efgh, tmp, 0xF0);
}

SHA_NI static inline __attribute__((always_inline)) void sha256_ni_state_out(__m128i abef, __m128i cdgh,
                                                                             uint32_t state[8]) {
    const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

/** Word 7 of the state (H, the digest's last word) from its CDGH vector. */
SHA_NI static inline __attribute__((always_inline)) uint32_t sha256_ni_h(__m128i cdgh) {
    return (uint32_t)_mm_cvtsi128_si32(cdgh);
}

/*
 * `n` independent one-block compressions, interleaved round by round: each
 * sha256rnds2 waits for the one before it in its own chain, and the SHA unit
 * takes a new one from another chain meanwhile, so that 3 or 4 chains reach
 * its throughput where one reaches only its latency (cpuminer-opt's
 * sha256_ni2x_transform does 2). `n` is a constant where it is inlined: the
 * loops unroll and the lanes' vectors stay in registers as far as the 16
 * the SHA instructions address allow. States in the SHA-NI order.
 */
SHA_NI static inline __attribute__((always_inline)) void sha256_ni_lanes(int n, __m128i abef[], __m128i cdgh[],
                                                                         const uint8_t *const data[]) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i s0[4], s1[4], m[4][4];
#pragma GCC unroll 4
    for (int l = 0; l < n; l++) {
        s0[l] = abef[l];
        s1[l] = cdgh[l];
    }
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
        const __m128i k = _mm_loadu_si128((const __m128i *)&SHA256_K[4 * g]);
#pragma GCC unroll 4
        for (int l = 0; l < n; l++) {
            __m128i w;
            if (g < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data[l] + 16 * g)), byteswap);
            } else {
                __m128i x = _mm_sha256msg1_epu32(m[l][g & 3], m[l][(g + 1) & 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(m[l][(g + 3) & 3], m[l][(g + 2) & 3], 4));
                w = _mm_sha256msg2_epu32(x, m[l][(g + 3) & 3]);
            }
            m[l][g & 3] = w;
            const __m128i wk = _mm_add_epi32(w, k);
            s1[l] = _mm_sha256rnds2_epu32(s1[l], s0[l], wk);
            s0[l] = _mm_sha256rnds2_epu32(s0[l], s1[l], _mm_shuffle_epi32(wk, 0x0E));
        }
    }
#pragma GCC unroll 4
    for (int l = 0; l < n; l++) {
        abef[l] = _mm_add_epi32(s0[l], abef[l]);
        cdgh[l] = _mm_add_epi32(s1[l], cdgh[l]);
    }
}

#define SHA256_HAVE_SHA_NI 1

static inline int sha256_has_sha_ni(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int ssse3 = (ecx & bit_SSSE3) != 0;
    const int sse41 = (ecx & bit_SSE4_1) != 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const int sha = (ebx & (1u << 29)) != 0;
    return ssse3 && sse41 && sha;
}
#else
const sha256_compress_fn sha256_compress_sha_ni = 0;

static inline int sha256_has_sha_ni(void) { return 0; }
#endif

#endif
