/*
 * loops: counted and data-dependent loops with runtime bounds.
 *
 * Input: mem holds a little-endian u32 n at offset 0 and a u32 bound at offset 4 (len >= 32).
 * The program writes three u64 results after them:
 *   mem[8..16)  = sum over i in [0, n) of (i * i) ^ (i >> 1)
 *   mem[16..24) = fib(n mod 94), fib(0) = 0, fib(1) = 1 (fits in a u64)
 *   mem[24..32) = the number of Collatz steps from n to 1, at most `bound` steps
 * and returns sum + fib + steps (mod 2^64), or 0xBAD if len < 32.
 *
 * Expected: n = 27, bound = 1000 -> sum = 6302, fib(27) = 196418, steps = 111,
 * return 202831. With n = 27, bound = 50 the Collatz loop stops at 50: return 202770.
 */
#include <pquic.h>

uint64_t loops(uint8_t *mem, uint64_t len)
{
    if (len < 32)
        return 0xBAD;
    uint32_t n = *(uint32_t *)mem;
    uint32_t bound = *(uint32_t *)(mem + 4);

    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += (i * i) ^ (i >> 1);

    uint64_t a = 0, b = 1;
    for (uint32_t i = 0; i < n % 94; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }

    uint64_t x = n, steps = 0;
    while (x > 1 && steps < bound) {
        x = (x & 1) ? 3 * x + 1 : x / 2;
        steps++;
    }

    *(uint64_t *)(mem + 8) = sum;
    *(uint64_t *)(mem + 16) = a;
    *(uint64_t *)(mem + 24) = steps;
    return sum + a + steps;
}
