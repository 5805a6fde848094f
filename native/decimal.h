/*
 * Decimal digits of an unsigned integer, as JavaScript writes a safe integer
 * (no sign, no leading zeros): the scanner's nonces and the record check's
 * index, timestamp and proof. Inline: both write digits in their hot loops.
 */
#ifndef BLOCKCHAIN_DECIMAL_H
#define BLOCKCHAIN_DECIMAL_H

#include <stdint.h>

/** Writes the digits of `n` (at most 20) at `out`; returns the byte after the last. */
static inline uint8_t *write_decimal(uint8_t *out, uint64_t n) {
    uint8_t reversed[20];
    int len = 0;
    do {
        reversed[len++] = (uint8_t)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    while (len > 0) *out++ = reversed[--len];
    return out;
}

#endif
