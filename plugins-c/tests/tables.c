/*
 * tables: read-only data. A constant u32 table in .rodata indexed at run time, an array of
 * string pointers in .rodata (its entries need R_BPF_64_ABS64 relocations inside the data
 * section, against .rodata.str1.1), and a dense switch (clang 14's BPF backend builds no lookup
 * table for it, BPF having no indirect jumps: it becomes a tree of compares).
 *
 * Input: any mem. For each byte b of mem, in order:
 *   acc = acc * 3 + primes[b & 15] + weight(b % 7) + length of names[(b >> 4) & 3]
 * with primes = the first 16 primes (2..53), weight(0..6) = 11, 7, 103, 5, 1000, 42, 9, and
 * names = "zero", "one", "two", "three" (lengths counted byte by byte, without a helper).
 * Returns acc (mod 2^64), starting from acc = 1.
 *
 * Expected: mem = 00 11 22 33 -> acc = 1*3 + 2+11+4 = 20; 20*3 + 3+5+3 = 71;
 * 71*3 + 5+9+3 = 230; 230*3 + 7+103+5 = 805 -> return 805.
 */
#include <pquic.h>

static const uint32_t primes[16] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53};
static const char *const names[4] = {"zero", "one", "two", "three"};

static __attribute__((noinline)) uint64_t weight(uint64_t k);
static __attribute__((noinline)) uint64_t name_length(uint64_t i);

uint64_t tables(uint8_t *mem, uint64_t len)
{
    uint64_t acc = 1;
    for (uint64_t i = 0; i < len; i++) {
        uint8_t b = mem[i];
        acc = acc * 3 + primes[b & 15] + weight(b % 7) + name_length((b >> 4) & 3);
    }
    return acc;
}

static __attribute__((noinline)) uint64_t weight(uint64_t k)
{
    switch (k) {
    case 0: return 11;
    case 1: return 7;
    case 2: return 103;
    case 3: return 5;
    case 4: return 1000;
    case 5: return 42;
    case 6: return 9;
    default: return 0;
    }
}

static __attribute__((noinline)) uint64_t name_length(uint64_t i)
{
    const char *s = names[i];
    uint64_t n = 0;
    while (s[n] != 0)
        n++;
    return n;
}
