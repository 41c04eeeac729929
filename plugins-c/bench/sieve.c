/*
 * sieve: counts the primes below n = 64 * (len / 8) with a sieve of Eratosthenes over a bit
 * array held in mem (bit b of the little-endian u64 word w stands for the number 64 * w + b;
 * a set bit means "composite"). The input contents do not matter: every word is initialised.
 *
 * The initialisation pre-marks the multiples of 2 and 3 with a wheel pattern that repeats
 * every 3 words (64 = 1 mod 3). Besides saving work, this keeps the loop from being turned into
 * a call to memset, which BPF does not have. Then odd p from 5 with p * p < n strike out
 * p * p, p * p + 2p, ...; finally the clear bits are counted. Pure .text, no helpers: runnable by
 * any eBPF VM with the uBPF convention `uint64_t f(uint8_t *mem, uint64_t len)`.
 *
 * Expected: len = 8 (n = 64) -> 18; len = 125 (n = 960) -> 162; len = 65536 (n = 524288)
 * -> 43390; len < 8 -> 0.
 */
#include <pquic.h>

uint64_t sieve(uint8_t *mem, uint64_t len)
{
    uint64_t *bits = (uint64_t *)mem;
    uint64_t words = len / 8;
    uint64_t n = words * 64;
    if (words == 0)
        return 0;

    /* Word w starts at 64w, which is even, so the even numbers are the even bit positions. */
    uint64_t evens = 0x5555555555555555ULL;
    /* Multiples of 3 in words w = 0, 1, 2 (mod 3): bit b where (64w + b) % 3 == 0. */
    uint64_t m0 = 0, m1 = 0, m2 = 0;
    for (uint64_t b = 0; b < 64; b++) {
        m0 |= (uint64_t)(b % 3 == 0) << b;
        m1 |= (uint64_t)((b + 1) % 3 == 0) << b;
        m2 |= (uint64_t)((b + 2) % 3 == 0) << b;
    }
    for (uint64_t w = 0; w < words; w++) {
        bits[w] = evens | m0;
        uint64_t t = m0;
        m0 = m1;
        m1 = m2;
        m2 = t;
    }
    /* 0 and 1 are not prime; 2 and 3 are, although the wheel marked them. */
    bits[0] = (bits[0] | 3) & ~(uint64_t)12;

    for (uint64_t p = 5; p * p < n; p += 2) {
        if (bits[p >> 6] & ((uint64_t)1 << (p & 63)))
            continue;
        for (uint64_t m = p * p; m < n; m += 2 * p)
            bits[m >> 6] |= (uint64_t)1 << (m & 63);
    }

    uint64_t count = 0;
    for (uint64_t w = 0; w < words; w++)
        count += __builtin_popcountll(~bits[w]);
    return count;
}
