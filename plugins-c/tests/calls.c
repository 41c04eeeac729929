/*
 * calls: BPF-to-BPF calls four levels deep, with five arguments in r1-r5, values kept in the
 * callee-saved registers r6-r9 across calls, and stack frames that stay distinct (a caller's
 * stack array is filled by its callee through a pointer, and read back after the call).
 *
 * Input: mem holds five little-endian u64 values a, b, c, d, e at offsets 0, 8, 16, 24, 32
 * (len >= 40). The program writes level1's result at offset 40 if len >= 48.
 * Returns level1(a, b, c, d, e) ^ (a + b + c + d + e) + (a * e), following the C below.
 *
 * Expected: a..e = 1, 2, 3, 4, 5 -> 1663341320402770591 (level1 = 1663341320402770581);
 * a..e = 0x0123456789abcdef, 7, 0xffffffffffffffff, 1000, 42 -> 0x0505147eff5e0397
 * (test/vm/programs.test.ts models the same C with BigInt).
 */
#include <pquic.h>

static __attribute__((noinline)) uint64_t level1(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                                 uint64_t e);
static __attribute__((noinline)) uint64_t level2(uint64_t x, uint64_t y, uint64_t z);
static __attribute__((noinline)) uint64_t level3(uint64_t *out, uint64_t n, uint64_t seed);
static __attribute__((noinline)) uint64_t mix5(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                               uint64_t e);

uint64_t calls(uint8_t *mem, uint64_t len)
{
    if (len < 40)
        return 0;
    uint64_t *v = (uint64_t *)mem;
    uint64_t a = v[0], b = v[1], c = v[2], d = v[3], e = v[4];
    uint64_t r = level1(a, b, c, d, e);
    if (len >= 48)
        v[5] = r;
    /* a..e are still needed after the call: they live in r6-r9 or on the stack. */
    return (r ^ (a + b + c + d + e)) + a * e;
}

static __attribute__((noinline)) uint64_t level1(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                                 uint64_t e)
{
    uint64_t p = level2(a, b, c);
    uint64_t q = level2(d, e, p);
    return mix5(p, q, a, c, e) + b - d;
}

static __attribute__((noinline)) uint64_t level2(uint64_t x, uint64_t y, uint64_t z)
{
    uint64_t buf[8];
    uint64_t s = level3(buf, 8, x ^ y);
    /* buf was written by level3 through a pointer into this frame. */
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = t * 31 + buf[i];
    return s + t + z * 3;
}

static __attribute__((noinline)) uint64_t level3(uint64_t *out, uint64_t n, uint64_t seed)
{
    uint64_t local[4] = {seed, seed + 1, seed * 5, seed >> 3};
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        out[i] = local[i & 3] + i;
        sum += out[i];
    }
    return sum;
}

static __attribute__((noinline)) uint64_t mix5(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                               uint64_t e)
{
    return (a * 3 + b) ^ (c << 7) ^ (d >> 2) ^ (e * 0x9e3779b97f4a7c15ULL);
}
