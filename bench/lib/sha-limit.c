/*
 * The SHA unit's limit on one core, for bench/hashrate.ts: one-block SHA-256
 * compressions with the SHA extensions, in 1, 2, 3 and 4 interleaved
 * independent streams, each compression from the same start state over a
 * block whose word 3 changes every time (as a miner's candidates do), with
 * nothing else in the loop. Written apart from the node's native code on
 * purpose, so that the limit does not share the miner's choices. Prints one
 * JSON object: per stream count, compressions per second of wall time and of
 * this thread's CPU time.
 *
 *   cc -O2 -o sha-limit sha-limit.c && ./sha-limit [seconds per count]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define SHA __attribute__((target("sha,sse4.1,ssse3"), always_inline)) static inline

/* N streams: state vectors s0 (ABEF), s1 (CDGH) and a message of 16 words each. */
SHA void rounds(int n, __m128i s0[], __m128i s1[], const uint32_t *msg[]) {
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i a[4], c[4], m[4][4];
    for (int l = 0; l < n; l++) {
        a[l] = s0[l];
        c[l] = s1[l];
    }
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++) {
        const __m128i k = _mm_loadu_si128((const __m128i *)&K[4 * g]);
#pragma GCC unroll 4
        for (int l = 0; l < n; l++) {
            __m128i w;
            if (g < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(msg[l] + 4 * g)), swap);
            } else {
                w = _mm_sha256msg1_epu32(m[l][g & 3], m[l][(g + 1) & 3]);
                w = _mm_add_epi32(w, _mm_alignr_epi8(m[l][(g + 3) & 3], m[l][(g + 2) & 3], 4));
                w = _mm_sha256msg2_epu32(w, m[l][(g + 3) & 3]);
            }
            m[l][g & 3] = w;
            const __m128i wk = _mm_add_epi32(w, k);
            c[l] = _mm_sha256rnds2_epu32(c[l], a[l], wk);
            a[l] = _mm_sha256rnds2_epu32(a[l], c[l], _mm_shuffle_epi32(wk, 0x0E));
        }
    }
    for (int l = 0; l < n; l++) {
        s0[l] = _mm_add_epi32(a[l], s0[l]);
        s1[l] = _mm_add_epi32(c[l], s1[l]);
    }
}

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Compressions of `n` streams for about `budget` seconds: per wall second and per CPU second. */
#define MEASURE(N)                                                                                 \
    __attribute__((target("sha,sse4.1,ssse3"))) static void measure##N(double budget, double *wall, \
                                                                       double *cpu) {              \
        uint32_t blocks[N][16] = {{0}};                                                            \
        const uint32_t *msg[N];                                                                    \
        for (int l = 0; l < N; l++) msg[l] = blocks[l];                                            \
        const __m128i start0 = _mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f, 0x9b05688c);      \
        const __m128i start1 = _mm_set_epi32(0x3c6ef372, 0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);      \
        uint32_t sink = 0;                                                                         \
        uint64_t done = 0;                                                                         \
        const double wall0 = seconds(CLOCK_MONOTONIC), cpu0 = seconds(CLOCK_THREAD_CPUTIME_ID);    \
        double now = wall0;                                                                        \
        while (now - wall0 < budget) {                                                             \
            for (int i = 0; i < 1 << 16; i++) {                                                    \
                __m128i s0[N], s1[N];                                                              \
                for (int l = 0; l < N; l++) {                                                      \
                    s0[l] = start0;                                                                \
                    s1[l] = start1;                                                                \
                    blocks[l][3]++;                                                                \
                }                                                                                  \
                rounds(N, s0, s1, msg);                                                            \
                for (int l = 0; l < N; l++) sink ^= (uint32_t)_mm_cvtsi128_si32(s1[l]);            \
            }                                                                                      \
            done += (uint64_t)N << 16;                                                             \
            now = seconds(CLOCK_MONOTONIC);                                                        \
        }                                                                                          \
        *wall = (double)done / (now - wall0);                                                      \
        *cpu = (double)done / (seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0);                           \
        if (sink == 0x12345678) fputs(" ", stderr); /* keeps the work observable */               \
    }

MEASURE(1)
MEASURE(2)
MEASURE(3)
MEASURE(4)

static int has_sha_ni(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & (1u << 29)) != 0;
}

int main(int argc, char **argv) {
    const double budget = argc > 1 ? atof(argv[1]) : 1.0;
    if (!has_sha_ni()) {
        puts("{\"sha_ni\":false}");
        return 0;
    }
    void (*const measures[4])(double, double *, double *) = {measure1, measure2, measure3, measure4};
    printf("{\"sha_ni\":true");
    for (int n = 1; n <= 4; n++) {
        double wall, cpu;
        measures[n - 1](budget, &wall, &cpu);
        printf(",\"streams_%d\":{\"wall\":%.0f,\"cpu\":%.0f}", n, wall, cpu);
    }
    puts("}");
    return 0;
}
#else
int main(void) {
    puts("{\"sha_ni\":false}");
    return 0;
}
#endif
