/*
 * SHA-256 compression of 8 independent blocks at once, one per 32-bit lane
 * of AVX2 vectors: the portable engine's way to more candidates per second
 * on a CPU without SHA extensions (the rounds are the scalar ones, done for
 * 8 messages by each instruction). The lanes' blocks sit at a fixed stride
 * in memory and are gathered word by word.
 */
#ifndef BLOCKCHAIN_SHA256_AVX2_H
#define BLOCKCHAIN_SHA256_AVX2_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SHA256_HAVE_AVX2 1
#define AVX2 __attribute__((target("avx2")))

static inline int sha256_has_avx2(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    /* The OS must save the ymm registers (OSXSAVE and XCR0's SSE and AVX bits). */
    if (!(ecx & bit_OSXSAVE) || !(ecx & bit_AVX)) return 0;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 6) != 6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & bit_AVX2) != 0;
}

#define AVX2_ROTR(x, n) _mm256_or_si256(_mm256_srli_epi32((x), (n)), _mm256_slli_epi32((x), 32 - (n)))

/**
 * One block per lane: lane j's block starts at `base + j * stride` (stride a
 * multiple of 4, below 2^31). `state` holds word i of every lane's state in
 * state[i], updated in place.
 */
AVX2 static inline __attribute__((always_inline)) void sha256_avx2_x8(__m256i state[8], const uint8_t *base,
                                                                      int stride) {
    const __m256i lanes = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                             _mm256_set1_epi32(stride));
    const __m256i byteswap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2,
                                              1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    __m256i w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        const __m256i word = _mm256_i32gather_epi32((const int *)(base + 4 * i), lanes, 1);
        w[i] = _mm256_shuffle_epi8(word, byteswap);
    }
    __m256i a = state[0], b = state[1], c = state[2], d = state[3];
    __m256i e = state[4], f = state[5], g = state[6], h = state[7];
#pragma GCC unroll 64
    for (int i = 0; i < 64; i++) {
        __m256i wi;
        if (i < 16) {
            wi = w[i];
        } else {
            const __m256i w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
            const __m256i s0 = _mm256_xor_si256(_mm256_xor_si256(AVX2_ROTR(w15, 7), AVX2_ROTR(w15, 18)),
                                                _mm256_srli_epi32(w15, 3));
            const __m256i s1 = _mm256_xor_si256(_mm256_xor_si256(AVX2_ROTR(w2, 17), AVX2_ROTR(w2, 19)),
                                                _mm256_srli_epi32(w2, 10));
            wi = _mm256_add_epi32(_mm256_add_epi32(w[i & 15], s0), _mm256_add_epi32(w[(i - 7) & 15], s1));
            w[i & 15] = wi;
        }
        const __m256i sigma1 = _mm256_xor_si256(_mm256_xor_si256(AVX2_ROTR(e, 6), AVX2_ROTR(e, 11)),
                                                AVX2_ROTR(e, 25));
        const __m256i ch = _mm256_xor_si256(_mm256_and_si256(e, f), _mm256_andnot_si256(e, g));
        const __m256i t1 = _mm256_add_epi32(
            _mm256_add_epi32(_mm256_add_epi32(h, sigma1), _mm256_add_epi32(ch, wi)),
            _mm256_set1_epi32((int)SHA256_K[i]));
        const __m256i sigma0 = _mm256_xor_si256(_mm256_xor_si256(AVX2_ROTR(a, 2), AVX2_ROTR(a, 13)),
                                                AVX2_ROTR(a, 22));
        const __m256i maj = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)));
        const __m256i t2 = _mm256_add_epi32(sigma0, maj);
        h = g;
        g = f;
        f = e;
        e = _mm256_add_epi32(d, t1);
        d = c;
        c = b;
        b = a;
        a = _mm256_add_epi32(t1, t2);
    }
    state[0] = _mm256_add_epi32(state[0], a);
    state[1] = _mm256_add_epi32(state[1], b);
    state[2] = _mm256_add_epi32(state[2], c);
    state[3] = _mm256_add_epi32(state[3], d);
    state[4] = _mm256_add_epi32(state[4], e);
    state[5] = _mm256_add_epi32(state[5], f);
    state[6] = _mm256_add_epi32(state[6], g);
    state[7] = _mm256_add_epi32(state[7], h);
}
#else
static inline int sha256_has_avx2(void) { return 0; }
#endif

#endif
