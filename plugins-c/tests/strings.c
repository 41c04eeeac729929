/*
 * strings: string literals (in .rodata.str1.1, reached by lddw with an addend) passed to the
 * strlen, memcmp and pquic_log helpers, and read byte by byte by a local function.
 *
 * Input: none (`uint64_t strings(void)`).
 * Logs exactly these three lines through pquic_log:
 *   "Hello, PQUIC! has 13 chars, 6 upper"
 *   "hex beef 123456789abcdef0 ok"
 *   "signed -5 -1234567890123 42 100%"
 * Returns strlen * 10000 + upper * 1000 + lower * 10 + cmp, where upper counts 'A'..'Z' in
 * "Hello, PQUIC!" (6), lower counts 'a'..'z' in "lower case only" (13), and cmp adds 4 if
 * "abcdef" < "abcxyz", 2 if "Hello, PQUIC!" starts with "Hello", 1 if "b" > "a":
 * expected 13 * 10000 + 6 * 1000 + 13 * 10 + 7 = 136137.
 */
#include <pquic.h>

/* Hides a pointer from the optimiser, so that strlen/memcmp of a literal stay real helper calls
 * instead of being folded at compile time, and byte loops really read the string. */
static inline __attribute__((always_inline)) const char *opaque(const char *p)
{
    __asm__ volatile("" : "+r"(p));
    return p;
}

static __attribute__((noinline)) uint64_t count_range(const char *s, char lo, char hi);

uint64_t strings(void)
{
    const char *s = opaque("Hello, PQUIC!");
    uint64_t n = strlen(s);
    uint64_t upper = count_range(s, 'A', 'Z');
    uint64_t lower = count_range(opaque("lower case only"), 'a', 'z');

    uint64_t cmp = 0;
    if (memcmp(opaque("abcdef"), opaque("abcxyz"), 6) < 0)
        cmp += 4;
    if (memcmp(s, opaque("Hello"), 5) == 0)
        cmp += 2;
    if (memcmp(opaque("b"), opaque("a"), 1) > 0)
        cmp += 1;

    pquic_log("%s has %d chars, %u upper", (uint64_t)s, n, upper, 0);
    pquic_log("hex %x %lx %c%c", 0xbeef, 0x123456789abcdef0ULL, 'o', 'k');
    pquic_log("signed %d %ld %i 100%%", (uint64_t)-5, (uint64_t)-1234567890123LL, 42, 0);
    return n * 10000 + upper * 1000 + lower * 10 + cmp;
}

/* Number of characters of the NUL-terminated s in [lo, hi], read one byte at a time. */
static __attribute__((noinline)) uint64_t count_range(const char *s, char lo, char hi)
{
    uint64_t n = 0;
    for (; *s != 0; s++)
        if (*s >= lo && *s <= hi)
            n++;
    return n;
}
